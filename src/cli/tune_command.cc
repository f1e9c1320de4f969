#include "cli/tune_command.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "adapters/config/config.h"
#include "adapters/config/duration.h"
#include "adapters/data/prices.h"
#include "adapters/data/trace.h"
#include "cli/bundled_data.h"
#include "cli/number_checks.h"
#include "sim/simulation.h"
#include "sim/tune.h"

namespace shoal {
namespace {

struct TuneArgs {
  std::string config;
  std::vector<std::string> traces;
  std::vector<std::string> holdout;
  double holdout_fraction = 0.3;
  double max_lost_pct = 0.01;
  int budget = 40;
  int seeds = 3;
  std::uint64_t first_seed = 1;
  std::uint64_t search_seed = 1;
  int jobs = 0;
  bool json = false;
  std::string spot_prices;
  std::string on_demand_prices;
  std::string advisor;
  SimOptions world;
};

// A trace to tune on, whole or split in time: with split_minute > 0 the
// search sees only the minutes before it, and the minutes from it are the
// held-out part, run on in the same simulation so they start with the
// history that leads into them (as a group running on would).
struct TuneTrace {
  Trace trace;
  std::int64_t split_minute = 0;
};

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

double Rounded(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

std::string MinutesLabel(const Trace& t, std::size_t from, std::size_t to) {
  return t.source + " minutes " + std::to_string(from) + ".." + std::to_string(to - 1);
}

// A range's value as the config writes it.
std::string Written(const TuneParam& t, double v) {
  return FormatTuneNumber(v) + (t.duration ? (t.minutes ? "m" : "s") : "");
}

class Tuner {
 public:
  Tuner(const TuneArgs& a, std::string text, Config config, PriceTables prices, std::vector<TuneTrace> tune,
        std::vector<Trace> holdout)
      : a_(a), text_(std::move(text)), config_(std::move(config)), prices_(std::move(prices)),
        tune_(std::move(tune)), holdout_(std::move(holdout)) {
    for (const TuneParam& p : config_.tune) {
      TuneDimension d;
      if (p.range) {
        d.kind = p.integer ? TuneDimension::Kind::kInteger : TuneDimension::Kind::kContinuous;
        d.low = p.low;
        d.high = p.high;
      } else {
        d.kind = TuneDimension::Kind::kChoice;
        d.choices = static_cast<int>(p.choices.size());
      }
      dims_.push_back(d);
    }
  }

  const std::vector<TuneDimension>& dims() const { return dims_; }
  const Config& config() const { return config_; }

  // The config's own values as a point, when each lies within its range or
  // among its choices (else there is no start point).
  std::optional<TunePoint> Start() const {
    TunePoint p;
    for (const TuneParam& t : config_.tune) {
      if (t.range) {
        double v = 0;
        std::optional<Seconds> d;
        if (t.duration) {
          d = config_internal::ParseDuration(t.current);
          if (!d) return std::nullopt;
          v = static_cast<double>(*d) / (t.minutes ? 60 : 1);
        } else {
          std::istringstream in(t.current);
          if (!(in >> v)) return std::nullopt;
        }
        if (v < t.low || v > t.high) return std::nullopt;
        p.push_back(v);
      } else {
        auto it = std::find(t.choices.begin(), t.choices.end(), t.current);
        if (it == t.choices.end()) return std::nullopt;
        p.push_back(static_cast<double>(it - t.choices.begin()));
      }
    }
    return p;
  }

  TuneValues Values(const TunePoint& point) const {
    TuneValues v;
    for (std::size_t k = 0; k < config_.tune.size(); ++k) {
      const TuneParam& t = config_.tune[k];
      if (!t.range) {
        v.emplace_back(t.path, t.choices[static_cast<std::size_t>(point[k])]);
      } else {
        v.emplace_back(t.path, Written(t, point[k]));
      }
    }
    return v;
  }

  Result<std::string> Text(const TunePoint& point, TuneMarks marks = TuneMarks::kNone) const {
    return SubstituteTuneValues(text_, Values(point), a_.config, marks);
  }

  // Every range's ends and every choice, the others as written, must make
  // a valid config: a bad range is refused before anything runs.
  Status CheckEnds() const {
    for (const TuneParam& t : config_.tune) {
      std::vector<std::string> values;
      if (t.range) {
        values = {Written(t, t.low), Written(t, t.high)};
      } else {
        values = t.choices;
      }
      for (const std::string& v : values) {
        Result<std::string> text = SubstituteTuneValues(text_, {{t.path, v}}, a_.config);
        if (!text.ok()) return text.status();
        Result<Config> c = ParseConfig(*text, a_.config);
        if (!c.ok()) {
          return Status::InvalidArgument("tune." + t.path + ": the value " + v +
                                         " is not valid there: " + c.status().message());
        }
      }
    }
    return Status::Ok();
  }

  TuneScore Evaluate(const TunePoint& point) const {
    TuneScore s;
    Result<std::string> text = Text(point);
    Result<Config> config = text.ok() ? ParseConfig(*text, a_.config) : Result<Config>(text.status());
    if (!config.ok()) {
      s.ok = false;
      s.error = config.status().message();
      return s;
    }
    // One trace, each seed: the mean cost and the worst loss of the part
    // tuned on and of the part held out (when it is split).
    auto run = [&](const Trace& trace, std::int64_t split, TuneScore* out, bool held_whole) -> bool {
      double tuned_cost = 0;
      double held_cost = 0;
      for (int i = 0; i < a_.seeds; ++i) {
        SimOptions o = a_.world;
        o.seed = a_.first_seed + static_cast<std::uint64_t>(i);
        o.split_minute = split;
        Result<SimReport> r = RunSimulation(*config, trace, prices_, o);
        if (!r.ok()) {
          out->ok = false;
          out->error = r.status().message();
          return false;
        }
        if (held_whole) {
          held_cost += r->cost_usd;
          out->holdout_lost_pct = std::max(out->holdout_lost_pct, r->lost_pct);
        } else if (r->split) {
          tuned_cost += r->split->before.cost_usd;
          out->lost_pct = std::max(out->lost_pct, r->split->before.lost_pct());
          held_cost += r->split->from.cost_usd;
          out->holdout_lost_pct = std::max(out->holdout_lost_pct, r->split->from.lost_pct());
        } else {
          tuned_cost += r->cost_usd;
          out->lost_pct = std::max(out->lost_pct, r->lost_pct);
        }
      }
      out->cost_usd += tuned_cost / a_.seeds;
      out->holdout_cost_usd += held_cost / a_.seeds;
      return true;
    };
    for (const TuneTrace& t : tune_) {
      if (!run(t.trace, t.split_minute, &s, false)) return s;
      s.has_holdout = s.has_holdout || t.split_minute > 0;
    }
    for (const Trace& t : holdout_) {
      s.has_holdout = true;
      if (!run(t, 0, &s, true)) return s;
    }
    return s;
  }

 private:
  const TuneArgs& a_;
  std::string text_;
  Config config_;
  PriceTables prices_;
  std::vector<TuneTrace> tune_;
  std::vector<Trace> holdout_;
  std::vector<TuneDimension> dims_;
};

std::string ValuesText(const TuneValues& values) {
  std::string out;
  for (const auto& [path, v] : values) out += (out.empty() ? "" : "  ") + path + "=" + v;
  return out;
}

nlohmann::ordered_json Row(const Tuner& t, const TuneCandidate& c, double ceiling) {
  nlohmann::ordered_json j;
  j["candidate"] = c.index;
  nlohmann::ordered_json values = nlohmann::ordered_json::object();
  for (const auto& [path, v] : t.Values(c.point)) values[path] = v;
  j["values"] = values;
  j["cost_usd"] = Rounded(c.score.cost_usd, 2);
  j["lost_pct"] = Rounded(c.score.lost_pct, 4);
  j["within_ceiling"] = c.score.lost_pct <= ceiling;
  if (c.score.has_holdout) {
    j["holdout_cost_usd"] = Rounded(c.score.holdout_cost_usd, 2);
    j["holdout_lost_pct"] = Rounded(c.score.holdout_lost_pct, 4);
  }
  return j;
}

std::string RowText(const Tuner& t, const TuneCandidate& c, bool chosen) {
  std::string line = "#  " + std::string(chosen ? "*" : " ") + std::to_string(c.index);
  line.resize(std::max<std::size_t>(line.size(), 9), ' ');
  line += " $" + Fixed(c.score.cost_usd, 2) + "  " + Fixed(c.score.lost_pct, 4) + "%";
  if (c.score.has_holdout) {
    line += "   held out $" + Fixed(c.score.holdout_cost_usd, 2) + "  " + Fixed(c.score.holdout_lost_pct, 4) + "%";
  }
  line += "   " + ValuesText(t.Values(c.point));
  return line;
}

int Run(const TuneArgs& a) {
  auto fail = [](const std::string& what, int code) {
    std::cerr << "error: " << what << "\n";
    return code;
  };
  if (a.holdout_fraction > 0.9) return fail("--holdout-fraction must be at most 0.9", 2);
  Result<std::string> text = ReadConfigText(a.config);
  if (!text.ok()) return fail(text.status().message(), 1);
  Result<Config> config = ParseConfig(*text, a.config);
  if (!config.ok()) return fail(config.status().message(), 1);
  if (config->tune.empty()) {
    return fail(a.config + ": nothing is marked tunable; add a tune: section, e.g.\n  tune:\n    "
                "groups.web.policies.track-cpu.target: [40, 75]\n(docs/POLICY.md, shoal tune)", 1);
  }
  Result<PriceTables> prices = LoadPriceTables(
      a.spot_prices.empty() ? BundledDataFile("spot_prices.csv") : a.spot_prices,
      a.on_demand_prices.empty() ? BundledDataFile("ondemand_prices.csv") : a.on_demand_prices,
      a.advisor.empty() ? BundledDataFile("spot_advisor_interruption.csv") : a.advisor);
  if (!prices.ok()) return fail(prices.status().message(), 1);

  std::vector<TuneTrace> tune;
  std::vector<Trace> holdout;
  std::vector<std::string> tuned_on;
  std::vector<std::string> held_out;
  for (const std::string& path : a.traces) {
    Result<Trace> t = LoadTraceFile(path);
    if (!t.ok()) return fail(t.status().message(), 1);
    if (t->peak() <= 0) return fail(path + ": the trace has no requests", 1);
    const std::size_t n = t->requests.size();
    const auto held = static_cast<std::size_t>(std::floor(static_cast<double>(n) * a.holdout_fraction));
    if (a.holdout_fraction > 0 && (held == 0 || held == n)) {
      return fail(path + ": too short (" + std::to_string(n) + " minutes) to split at --holdout-fraction " +
                      Fixed(a.holdout_fraction, 2), 1);
    }
    const auto requests_in = [&](std::size_t from, std::size_t to) {
      double sum = 0;
      for (std::size_t m = from; m < to; ++m) sum += t->requests[m];
      return sum;
    };
    if (held > 0) {
      const std::string tuned_label = MinutesLabel(*t, 0, n - held);
      const std::string held_label = MinutesLabel(*t, n - held, n);
      if (requests_in(0, n - held) <= 0) return fail(tuned_label + ": the part tuned on has no requests", 1);
      if (requests_in(n - held, n) <= 0) return fail(held_label + ": the held-out part has no requests", 1);
      tuned_on.push_back(tuned_label);
      held_out.push_back(held_label);
    } else {
      tuned_on.push_back(t->source);
    }
    const auto split = static_cast<std::int64_t>(held > 0 ? n - held : 0);  // 0: nothing held out
    tune.push_back(TuneTrace{std::move(*t), split});
  }
  for (const std::string& path : a.holdout) {
    Result<Trace> t = LoadTraceFile(path);
    if (!t.ok()) return fail(t.status().message(), 1);
    if (t->peak() <= 0) return fail(path + ": the trace has no requests", 1);
    held_out.push_back(t->source);
    holdout.push_back(std::move(*t));
  }
  if (held_out.empty()) {
    std::cerr << "warning: nothing is held out (--holdout-fraction 0, no --holdout): every figure is from the "
                 "traffic tuned on\n";
  }
  const auto runs_per_config = static_cast<double>(tune.size() + holdout.size());  // a split trace is one run
  Tuner tuner(a, *text, *config, std::move(*prices), std::move(tune), std::move(holdout));
  if (Status s = tuner.CheckEnds(); !s.ok()) return fail(s.message(), 1);

  TuneSearchOptions o;
  o.budget = a.budget;
  o.seed = a.search_seed;
  o.jobs = a.jobs > 0 ? a.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.max_lost_pct = a.max_lost_pct;
  o.start = tuner.Start();
  if (!o.start) std::cerr << "note: the config's own values lie outside the tune: ranges; it is not a candidate\n";

  const auto started = std::chrono::steady_clock::now();
  double best = -1;
  TuneResult r = RunTuneSearch(
      tuner.dims(), o, [&](const TunePoint& p) { return tuner.Evaluate(p); },
      [&](int done, const TuneCandidate& c) {
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cerr << "tune: " << done << "/" << a.budget << " (" << Fixed(s, 1) << " s) #" << c.index << ": ";
        if (!c.score.ok) {
          std::cerr << "invalid: " << c.score.error << "\n";
          return;
        }
        if (c.score.lost_pct <= a.max_lost_pct && (best < 0 || c.score.cost_usd < best)) best = c.score.cost_usd;
        std::cerr << "$" << Fixed(c.score.cost_usd, 2) << " lost " << Fixed(c.score.lost_pct, 4) << "%";
        if (best >= 0) std::cerr << "; best within " << a.max_lost_pct << "%: $" << Fixed(best, 2);
        std::cerr << "\n";
      });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto n = static_cast<double>(r.candidates.size());
  const double sims = n * a.seeds * runs_per_config;
  std::cerr << "tune: " << r.candidates.size() << " configs in " << Fixed(seconds, 1) << " s: "
            << Fixed(seconds > 0 ? n * 60 / seconds : 0, 1) << " configs/minute (" << Fixed(sims, 0)
            << " simulations, " << o.jobs << " jobs)\n";

  const TuneCandidate* chosen = r.chosen >= 0 ? &r.candidates[static_cast<std::size_t>(r.chosen)] : nullptr;
  const TuneCandidate* start = o.start ? &r.candidates[0] : nullptr;
  std::string chosen_text;
  if (chosen != nullptr) {
    Result<std::string> t = tuner.Text(chosen->point, TuneMarks::kChanged);
    if (!t.ok()) return fail(t.status().message(), 1);
    chosen_text = *t;
  }

  if (a.json) {
    nlohmann::ordered_json j;
    j["config"] = a.config;
    j["budget"] = a.budget;
    j["evaluated"] = r.candidates.size();
    j["failed"] = r.failed;
    j["seeds"] = a.seeds;
    j["search_seed"] = a.search_seed;
    j["max_lost_pct"] = a.max_lost_pct;
    j["tuned_on"] = tuned_on;
    j["held_out"] = held_out;
    nlohmann::ordered_json tunables = nlohmann::ordered_json::array();
    for (const TuneParam& p : tuner.config().tune) {
      nlohmann::ordered_json t;
      t["path"] = p.path;
      if (p.range) {
        t["range"] = {Written(p, p.low), Written(p, p.high)};
      } else {
        t["choices"] = p.choices;
      }
      t["current"] = p.current;
      tunables.push_back(t);
    }
    j["tunables"] = tunables;
    j["start"] = start != nullptr && start->score.ok ? Row(tuner, *start, a.max_lost_pct) : nlohmann::ordered_json();
    nlohmann::ordered_json front = nlohmann::ordered_json::array();
    for (int i : r.frontier) front.push_back(Row(tuner, r.candidates[static_cast<std::size_t>(i)], a.max_lost_pct));
    j["frontier"] = front;
    if (chosen != nullptr) {
      nlohmann::ordered_json c = Row(tuner, *chosen, a.max_lost_pct);
      c["config_yaml"] = chosen_text;
      j["chosen"] = c;
    } else {
      j["chosen"] = nullptr;
    }
    std::cout << j.dump(2) << "\n";
  } else {
    std::ostringstream out;
    out << "# shoal tune: " << r.candidates.size() << " configs (budget " << a.budget << ", " << r.failed
        << " invalid), seeds " << a.first_seed << ".." << a.first_seed + static_cast<std::uint64_t>(a.seeds) - 1
        << ", search seed " << a.search_seed << "\n";
    out << "# tuned on:";
    for (const std::string& s : tuned_on) out << " [" << s << "]";
    out << "\n# held out (never tuned on):";
    if (held_out.empty()) out << " nothing";
    for (const std::string& s : held_out) out << " [" << s << "]";
    out << "\n# cost: summed over the traces, mean over seeds; lost: the worst trace and seed\n";
    out << "# frontier (cheapest first; * within the ceiling of " << a.max_lost_pct << "% lost):\n";
    for (int i : r.frontier) {
      const TuneCandidate& c = r.candidates[static_cast<std::size_t>(i)];
      out << RowText(tuner, c, c.score.lost_pct <= a.max_lost_pct) << "\n";
    }
    if (start != nullptr && start->score.ok) out << "# the config as given:\n" << RowText(tuner, *start, false) << "\n";
    if (chosen != nullptr) {
      out << "# chosen: the cheapest within " << a.max_lost_pct << "% lost:\n" << RowText(tuner, *chosen, true) << "\n";
      if (chosen->score.has_holdout && chosen->score.holdout_lost_pct > a.max_lost_pct) {
        out << "# WARNING: on the held-out traffic it loses " << Fixed(chosen->score.holdout_lost_pct, 4)
            << "%, above the ceiling: it may be fitted to the traffic tuned on\n";
      }
      out << "# the chosen config:\n\n" << chosen_text;
      if (!chosen_text.empty() && chosen_text.back() != '\n') out << "\n";
    } else {
      out << "# no config within " << a.max_lost_pct << "% lost\n";
    }
    std::cout << out.str();
  }
  if (chosen == nullptr) {
    std::cerr << "error: no candidate stayed within " << a.max_lost_pct
              << "% lost on the traffic tuned on; widen the ranges, raise --budget or --max-lost-pct\n";
    return 3;
  }
  return 0;
}

}  // namespace

void AddTuneCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<TuneArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tune", "Search the values a config marks tunable (tune:) over your traces; print the cost/loss frontier "
              "and the cheapest config within the loss ceiling as YAML");
  cmd->add_option("--config,-c", args->config, "YAML config with a tune: section (docs/POLICY.md)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--trace,-t", args->traces,
                  "traces to tune on: minute,requests CSV or a CloudWatch JSON export; repeatable")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--holdout", args->holdout, "whole traces never tuned on, only reported; repeatable")
      ->check(CLI::ExistingFile);
  cmd->add_option("--holdout-fraction", args->holdout_fraction,
                  "the last part of each --trace held out, only reported (default 0.3; 0 = none)")
      ->check(FiniteRange(0.0, 0.9));
  cmd->add_option("--max-lost-pct", args->max_lost_pct,
                  "the loss ceiling: % of requests lost, worst trace and seed (default 0.01)")
      ->check(FiniteRange(0.0, 100.0));
  cmd->add_option("--budget", args->budget, "configs to evaluate, at most (default 40)")->check(CLI::Range(1, 100000));
  cmd->add_option("--seeds", args->seeds, "simulator seeds per trace and config (default 3)")->check(CLI::Range(1, 1000));
  cmd->add_option("--first-seed", args->first_seed, "the first simulator seed (default 1)");
  cmd->add_option("--seed", args->search_seed, "the search's own seed (default 1)");
  cmd->add_option("--jobs,-j", args->jobs, "simulations side by side (default: one per core)")->check(CLI::Range(0, 1024));
  cmd->add_flag("--json", args->json, "one JSON object: the frontier, the chosen values and config");
  cmd->add_option("--spot-prices", args->spot_prices, "spot price history CSV (default: bundled data)");
  cmd->add_option("--on-demand-prices", args->on_demand_prices, "on-demand price CSV (default: bundled data)");
  cmd->add_option("--advisor", args->advisor, "Spot Advisor interruption CSV (default: bundled data)");
  cmd->add_option("--peak-instances", args->world.peak_instances,
                  "instances each trace's peak minute needs at 100% CPU (default 40)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--boot-seconds", args->world.boot_seconds, "mean launch-to-in-service delay")
      ->check(CLI::Range(1, 86400));
  cmd->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace shoal
