// A stacked-area SVG: on-demand at the bottom, then each spot pool that was
// used, with the demand (in capacity units at 100% CPU) drawn over it. Long
// traces are bucketed so the file stays small: each bucket shows its mean
// capacity and its peak demand (the minute that matters).
#include "sim/plot.h"

#include <algorithm>
#include <fmt/format.h>
#include <vector>

#include "adapters/data/iso_time.h"

namespace shoal {
namespace {

constexpr int kWidth = 1200;
constexpr int kHeight = 420;
constexpr int kLeft = 60;
constexpr int kRight = 230;
constexpr int kTop = 30;
constexpr int kBottom = 40;
constexpr std::size_t kMaxBuckets = 1200;
constexpr const char* kColors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2",
                                   "#edc948", "#ff9da7", "#9c755f", "#bab0ac", "#e15759"};

struct Layer {
  std::string name;
  std::vector<double> values;  // per bucket
};

std::vector<double> Bucket(const std::vector<float>& v, std::size_t buckets, bool peak) {
  std::vector<double> out(buckets, 0);
  if (v.empty()) return out;
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t lo = b * v.size() / buckets;
    const std::size_t hi = std::max(lo + 1, (b + 1) * v.size() / buckets);
    double acc = 0;
    for (std::size_t i = lo; i < hi && i < v.size(); ++i) acc = peak ? std::max(acc, double(v[i])) : acc + v[i];
    out[b] = peak ? acc : acc / static_cast<double>(hi - lo);
  }
  return out;
}

// The first step (in `unit` minutes) that makes at most kMaxTicks marks.
constexpr int kMaxTicks = 8;
std::int64_t TickStep(std::int64_t span_units, std::initializer_list<std::int64_t> steps) {
  for (const std::int64_t step : steps) {
    if (span_units / step + 1 <= kMaxTicks) return step;
  }
  std::int64_t step = *(steps.end() - 1);
  while (span_units / step + 1 > kMaxTicks) step *= 2;
  return step;
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::vector<TimeTick> TimeAxisTicks(std::int64_t minutes, std::optional<std::int64_t> start_utc) {
  std::vector<TimeTick> ticks;
  if (minutes <= 0) return ticks;
  const bool by_day = minutes >= 2 * 1440;
  const std::int64_t unit = by_day ? 1440 : 60;  // minutes
  const std::int64_t step =
      by_day ? TickStep(minutes / unit, {1, 2, 3, 5, 7, 14, 28}) : TickStep(minutes / unit, {1, 2, 3, 6, 12});
  // The minute of the first whole unit at or after the trace's start.
  std::int64_t first = 0;
  if (start_utc) {
    const std::int64_t start_minute = FloorDiv(*start_utc, 60);
    first = (unit - start_minute % unit) % unit;
    if (first < 0) first += unit;
  }
  for (std::int64_t m = first, i = 0; m <= minutes; m += unit, ++i) {
    if (i % step != 0) continue;
    std::string label;
    if (!start_utc) {
      label = fmt::format("{} {}", by_day ? "day" : "hour", m / unit);
    } else if (by_day) {
      label = FormatIsoDate(*start_utc + m * 60);
    } else {
      label = FormatIsoUtc(*start_utc + m * 60).substr(11, 5);  // "HH:MM"
    }
    ticks.push_back({m, std::move(label)});
  }
  return ticks;
}

std::string RenderPlotSvg(const SimReport& r, std::optional<std::int64_t> start_utc) {
  const SimSeries& s = r.series;
  const std::size_t n = s.demand_units.size();
  const std::size_t buckets = std::max<std::size_t>(1, std::min(n, kMaxBuckets));
  std::vector<Layer> layers;
  layers.push_back({"on-demand", Bucket(s.on_demand_units, buckets, false)});
  for (std::size_t p = 0; p < s.pool_names.size(); ++p) {
    const auto& u = s.pool_units[p];
    if (std::any_of(u.begin(), u.end(), [](float x) { return x > 0; })) {
      layers.push_back({"spot " + s.pool_names[p], Bucket(u, buckets, false)});
    }
  }
  const std::vector<double> demand = Bucket(s.demand_units, buckets, true);
  std::vector<double> top(buckets, 0);
  double ymax = 1;
  for (const Layer& l : layers) {
    for (std::size_t b = 0; b < buckets; ++b) top[b] += l.values[b];
  }
  for (std::size_t b = 0; b < buckets; ++b) ymax = std::max({ymax, top[b], demand[b]});
  ymax *= 1.05;
  const double pw = kWidth - kLeft - kRight;
  const double ph = kHeight - kTop - kBottom;
  auto x = [&](std::size_t b) { return kLeft + pw * static_cast<double>(b) / std::max<std::size_t>(1, buckets - 1); };
  auto y = [&](double v) { return kTop + ph * (1 - v / ymax); };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      kWidth, kHeight, kWidth, kHeight);
  svg += fmt::format("<text x=\"{}\" y=\"18\" font-size=\"14\">{} on {}: cost ${:.2f}, savings {:.1f}%, lost {:.0f}, hot minutes {}</text>\n",
                     kLeft, r.config, r.trace, r.cost_usd, r.savings_pct, r.lost_requests, r.hot_minutes);
  std::vector<double> base(buckets, 0);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    std::string pts;
    for (std::size_t b = 0; b < buckets; ++b) pts += fmt::format("{:.1f},{:.1f} ", x(b), y(base[b] + layers[l].values[b]));
    for (std::size_t b = buckets; b-- > 0;) pts += fmt::format("{:.1f},{:.1f} ", x(b), y(base[b]));
    svg += fmt::format("<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"0.75\" stroke=\"none\"/>\n", pts,
                       kColors[l % std::size(kColors)]);
    for (std::size_t b = 0; b < buckets; ++b) base[b] += layers[l].values[b];
  }
  std::string line;
  for (std::size_t b = 0; b < buckets; ++b) line += fmt::format("{:.1f},{:.1f} ", x(b), y(demand[b]));
  svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"black\" stroke-width=\"1\"/>\n", line);
  // Axes, ticks and legend.
  svg += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\"/>\n", kLeft, kTop, kTop + ph);
  svg += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#333\"/>\n", kLeft, kTop + ph, kLeft + pw);
  for (int i = 0; i <= 4; ++i) {
    const double v = ymax * i / 4;
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.0f}</text>\n", kLeft - 6, y(v) + 4, v);
  }
  // Bucket b starts at minute b * n / buckets and is drawn at x(b).
  const auto minute_x = [&](std::int64_t m) {
    const double b = static_cast<double>(m) * static_cast<double>(buckets) / static_cast<double>(std::max<std::size_t>(1, n));
    return std::min(kLeft + pw, kLeft + pw * b / static_cast<double>(std::max<std::size_t>(1, buckets - 1)));
  };
  for (const TimeTick& t : TimeAxisTicks(static_cast<std::int64_t>(n), start_utc)) {
    const double tx = minute_x(t.minute);
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#333\"/>\n", tx, kTop + ph,
                       kTop + ph + 5);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", tx, kTop + ph + 18, t.label);
  }
  svg += fmt::format("<text x=\"14\" y=\"{:.1f}\" transform=\"rotate(-90 14 {:.1f})\" text-anchor=\"middle\">capacity units (m4.large)</text>\n",
                     kTop + ph / 2, kTop + ph / 2);
  double ly = kTop + 10;
  svg += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"black\"/><text x=\"{3}\" y=\"{4:.1f}\">demand (peak per bucket)</text>\n",
                     kLeft + pw + 10, ly, kLeft + pw + 30, kLeft + pw + 36, ly + 4);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    ly += 18;
    svg += fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"20\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{:.1f}\">{}</text>\n",
                       kLeft + pw + 10, ly - 5, kColors[l % std::size(kColors)], kLeft + pw + 36, ly + 4, layers[l].name);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace shoal
