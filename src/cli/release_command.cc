// `shoal release ...`: publish and promote releases, and read the store.
// Human output on stdout (publish: the version alone, its story on
// stderr), --json for scripts; errors on stderr say what to do next.
#include "cli/release_command.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "adapters/data/iso_time.h"
#include "adapters/release/git_tag.h"
#include "adapters/release/publish.h"
#include "adapters/release/release_store.h"
#include "providers/release_store_open.h"
#include "cli/table.h"

namespace shoal {
namespace {

using nlohmann::json;

struct Common {
  std::string service;
  std::string env = "prod";
  std::string store;
  std::string data_dir = "shoal-data";
  bool json = false;
};

struct PublishArgs {
  Common common;
  std::string from;
  std::string git_commit;
  std::string build;
  std::string branch;
};

struct PromoteArgs {
  Common common;
  std::string ref;
  std::string git_repo;
  std::string tag;
};

struct ReadArgs {
  Common common;
  std::string ref = "latest";
  std::size_t limit = 20;
};

void AddCommon(CLI::App* cmd, Common* c) {
  cmd->add_option("SERVICE", c->service, "the service (the seed's MODULE)")->required();
  cmd->add_option("--env", c->env, "the environment folder of the store")->capture_default_str();
  cmd->add_option("--store", c->store,
                  "file:///path or s3://bucket/prefix (default: $SHOAL_STORE, else DATA_DIR/releases)");
  cmd->add_option("--data-dir", c->data_dir, "where the default local store lives")->capture_default_str();
  cmd->add_flag("--json", c->json, "print JSON");
}

// Prints the error and the exit code for it: 2 for input that was refused, 1 otherwise.
int Fail(const Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

Result<OpenedStore> Open(const Common& c, bool create) {
  SHOAL_RETURN_IF_ERROR(ValidateName("service", c.service));
  SHOAL_RETURN_IF_ERROR(ValidateName("--env", c.env));
  return OpenStore(c.store.empty() ? DefaultStoreUrl(c.data_dir) : c.store, create);
}

// A private temporary folder, removed with everything in it.
class WorkDir {
 public:
  WorkDir() {
    std::error_code ec;
    std::string pattern = (std::filesystem::temp_directory_path(ec) / "shoal-release-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~WorkDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Claimant() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::random_device random;
  const std::uint64_t nonce = (static_cast<std::uint64_t>(random()) << 32) | random();
  return fmt::format("{}:{}:{:016x}", host, ::getpid(), nonce);
}

json ManifestJson(const ReleaseManifest& m) {
  return json{{"service", m.release.module}, {"env", m.env},           {"version", m.release.version},
              {"build", m.release.build},     {"git_commit", m.release.git_commit},
              {"branch", m.branch},           {"timestamp", m.release.timestamp},
              {"sha256", m.sha256},           {"size", m.size}};
}

// A release committed to git, when --git-commit is not given and the folder is a checkout.
std::string HeadCommitOf(const std::string& from) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(from) / ".git", ec)) return "";
  auto run = RunGit(from, {"rev-parse", "HEAD"}, 30);
  if (!run.ok() || run->exit_code != 0) return "";
  std::string commit = run->output;
  while (!commit.empty() && (commit.back() == '\n' || commit.back() == '\r')) commit.pop_back();
  return ValidateGitCommit(commit).ok() ? commit : "";
}

int Publish(const PublishArgs& a) {
  auto opened = Open(a.common, true);
  if (!opened.ok()) return Fail(opened.status());
  WorkDir work;
  if (work.path().empty()) return Fail(Status::IoError("cannot create a temporary folder (set TMPDIR)"));
  PublishRequest request;
  request.layout = ReleaseLayout{a.common.service, a.common.env};
  request.source = a.from;
  request.build = a.build;
  request.git_commit = a.git_commit.empty() ? HeadCommitOf(a.from) : a.git_commit;
  request.branch = a.branch;
  request.now = SystemClock().Now();
  request.claimant = Claimant();
  request.work_dir = work.path();
  auto published = PublishRelease(opened->store.get(), request);
  if (!published.ok()) return Fail(published.status());
  const ReleaseManifest& m = published->manifest;
  const std::string url = opened->store->Url() + "/" + request.layout.Tar(m.release.version);
  if (a.common.json) {
    json out = ManifestJson(m);
    out["store"] = opened->store->Url();
    out["tar"] = url;
    out["entries"] = published->summary.entries;
    out["latest_moved"] = published->latest_moved;
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::cerr << fmt::format("published {} {} ({} entries, {} bytes, sha256 {}) to {}\n", m.release.module,
                           m.release.version, published->summary.entries, m.size, m.sha256, url);
  std::cerr << (published->latest_moved ? "latest.txt now names " + std::to_string(m.release.version)
                                        : std::string("latest.txt already names a newer release; left as it is"))
            << "\n";
  std::cout << m.release.version << "\n";
  return 0;
}

int Promote(const PromoteArgs& a) {
  auto opened = Open(a.common, false);
  if (!opened.ok()) return Fail(opened.status());
  ReleaseStore releases(opened->store.get(), ReleaseLayout{a.common.service, a.common.env});
  auto version = releases.Resolve(a.ref);
  if (!version.ok()) return Fail(version.status());
  auto manifest = releases.Manifest(*version);
  if (!manifest.ok()) return Fail(manifest.status());
  const std::string tag = a.tag.empty() ? a.common.service + "-" + a.common.env + "-stable" : a.tag;
  if (!a.git_repo.empty()) {
    // Everything git could refuse is asked before the store changes.
    if (Status s = ValidateTagName(a.git_repo, tag); !s.ok()) return Fail(s);
    if (Status s = CheckCommit(a.git_repo, manifest->release.git_commit); !s.ok()) return Fail(s);
  }
  WorkDir work;
  if (work.path().empty()) return Fail(Status::IoError("cannot create a temporary folder (set TMPDIR)"));
  if (Status s = releases.Verify(*manifest, work.path() + "/" + releases.layout().TarName(*version)); !s.ok()) {
    return Fail(s.WithContext("not promoted"));
  }
  const std::string now = FormatIsoUtc(SystemClock().Now());
  auto promotion = releases.MoveStable(*manifest, a.git_repo.empty() ? "" : tag, now);
  if (!promotion.ok()) return Fail(promotion.status());
  std::string pushed_to;
  if (!a.git_repo.empty()) {
    const std::string message = fmt::format("{} {} ({}) promoted to latest-stable", a.common.service, *version, a.common.env);
    auto tagged = TagAndPush(a.git_repo, tag, manifest->release.git_commit, message);
    if (!tagged.ok()) {
      return Fail(tagged.status().WithContext("latest-stable now names " + std::to_string(*version) +
                                              "; run the promote again to retry the tag"));
    }
    pushed_to = tagged->remote;
  }
  if (a.common.json) {
    json out = ManifestJson(*manifest);
    out["previous"] = promotion->previous == 0 ? json() : json(promotion->previous);
    out["tag"] = a.git_repo.empty() ? json() : json(tag);
    out["pushed_to"] = pushed_to.empty() ? json() : json(pushed_to);
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::cout << fmt::format("latest-stable of {}/{} now names {} (was {}), sha256 verified\n", a.common.service,
                           a.common.env, *version, promotion->previous == 0 ? "none" : std::to_string(promotion->previous));
  if (!a.git_repo.empty()) {
    std::cout << fmt::format("tagged {} at {} in {}{}\n", tag, manifest->release.git_commit, a.git_repo,
                             pushed_to.empty() ? " (no remote: not pushed)" : ", pushed to " + pushed_to);
  }
  return 0;
}

std::optional<std::uint64_t> PointerVersion(ReleaseStore& releases, const std::string& key) {
  auto pointer = releases.Pointer(key);
  if (!pointer.ok() || !pointer->has_value()) return std::nullopt;
  return (*pointer)->version;
}

int ListReleases(const ReadArgs& a) {
  auto opened = Open(a.common, false);
  if (!opened.ok()) return Fail(opened.status());
  ReleaseStore releases(opened->store.get(), ReleaseLayout{a.common.service, a.common.env});
  auto entries = releases.List(a.limit);
  if (!entries.ok()) return Fail(entries.status());
  const auto latest = PointerVersion(releases, releases.layout().Latest());
  const auto stable = PointerVersion(releases, releases.layout().LatestStable());
  json rows = json::array();
  std::size_t shown = 0;
  for (auto it = entries->rbegin(); it != entries->rend() && (a.limit == 0 || shown < a.limit); ++it, ++shown) {
    json row = it->manifest ? ManifestJson(*it->manifest) : json{{"version", it->version}};
    row["status"] = !it->complete ? "incomplete" : it->problem.empty() ? "complete" : "unreadable";
    if (!it->problem.empty()) row["problem"] = it->problem;
    std::string marks;
    if (latest == it->version) marks = "latest";
    if (stable == it->version) marks += std::string(marks.empty() ? "" : ",") + "latest-stable";
    row["pointers"] = marks;
    rows.push_back(row);
  }
  if (a.common.json) {
    std::cout << json{{"service", a.common.service}, {"env", a.common.env}, {"store", opened->store->Url()},
                      {"latest", latest ? json(*latest) : json()}, {"latest_stable", stable ? json(*stable) : json()},
                      {"releases", rows}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << RenderTable(rows, {{"VERSION", "version"}, {"BUILD", "build"}, {"GIT_COMMIT", "git_commit"},
                                  {"BRANCH", "branch"}, {"TIMESTAMP", "timestamp"}, {"SIZE", "size"},
                                  {"STATUS", "status"}, {"POINTERS", "pointers"}},
                           0);
  return 0;
}

int ShowRelease(const ReadArgs& a) {
  auto opened = Open(a.common, false);
  if (!opened.ok()) return Fail(opened.status());
  ReleaseStore releases(opened->store.get(), ReleaseLayout{a.common.service, a.common.env});
  auto version = releases.Resolve(a.ref);
  if (!version.ok()) return Fail(version.status());
  auto manifest = releases.Manifest(*version);
  if (!manifest.ok()) return Fail(manifest.status());
  const auto latest = PointerVersion(releases, releases.layout().Latest());
  const auto stable = PointerVersion(releases, releases.layout().LatestStable());
  json out = ManifestJson(*manifest);
  out["tar"] = opened->store->Url() + "/" + releases.layout().Tar(*version);
  out["latest"] = latest == *version;
  out["latest_stable"] = stable == *version;
  if (a.common.json) {
    std::cout << out.dump() << "\n";
    return 0;
  }
  for (const char* key : {"service", "env", "version", "build", "git_commit", "branch", "timestamp", "sha256", "size",
                          "tar", "latest", "latest_stable"}) {
    std::cout << fmt::format("{:<15}{}\n", std::string(key) + ":", CellText(out[key]));
  }
  return 0;
}

int ShowHistory(const ReadArgs& a) {
  auto opened = Open(a.common, false);
  if (!opened.ok()) return Fail(opened.status());
  ReleaseStore releases(opened->store.get(), ReleaseLayout{a.common.service, a.common.env});
  auto promotions = releases.History(a.limit);
  if (!promotions.ok()) return Fail(promotions.status());
  json rows = json::array();
  for (const Promotion& p : *promotions) {
    rows.push_back(json{{"promotion", p.number}, {"version", p.version},
                        {"previous", p.previous == 0 ? json() : json(p.previous)}, {"timestamp", p.timestamp},
                        {"tag", p.tag.empty() ? json() : json(p.tag)}, {"git_commit", p.git_commit}});
  }
  if (a.common.json) {
    std::cout << json{{"service", a.common.service}, {"env", a.common.env}, {"promotions", rows}}.dump() << "\n";
    return 0;
  }
  std::cout << RenderTable(rows, {{"PROMOTION", "promotion"}, {"VERSION", "version"}, {"PREVIOUS", "previous"},
                                  {"TIMESTAMP", "timestamp"}, {"TAG", "tag"}, {"GIT_COMMIT", "git_commit"}},
                           0);
  return 0;
}

}  // namespace

void AddReleaseCommand(CLI::App& app, int* exit_code) {
  CLI::App* release = app.add_subcommand("release", "publish, promote and list releases in the artifact store");
  release->require_subcommand(1);

  auto publish = std::make_shared<PublishArgs>();
  CLI::App* p = release->add_subcommand("publish", "pack a folder or tar as the next version and make it latest");
  AddCommon(p, &publish->common);
  p->add_option("--from", publish->from, "a folder (packed without .git) or a tar")->required();
  p->add_option("--git-commit", publish->git_commit, "the commit built (default: HEAD of --from when it is a checkout)");
  p->add_option("--build", publish->build, "the CI build number");
  p->add_option("--branch", publish->branch, "the branch built");
  p->callback([publish, exit_code] { *exit_code = Publish(*publish); });

  auto promote = std::make_shared<PromoteArgs>();
  CLI::App* pr = release->add_subcommand("promote", "verify a release and make it latest-stable; tag its commit");
  AddCommon(pr, &promote->common);
  pr->add_option("RELEASE", promote->ref, "latest or a version number")->required();
  pr->add_option("--git-repo", promote->git_repo, "a git checkout to tag the release's commit in (pushed if it has a remote)");
  pr->add_option("--tag", promote->tag, "the tag name (default: SERVICE-ENV-stable)");
  pr->callback([promote, exit_code] { *exit_code = Promote(*promote); });

  auto list = std::make_shared<ReadArgs>();
  CLI::App* l = release->add_subcommand("list", "the versions of a service, newest first");
  AddCommon(l, &list->common);
  l->add_option("--limit", list->limit, "at most this many (0: all)")->capture_default_str();
  l->callback([list, exit_code] { *exit_code = ListReleases(*list); });

  auto show = std::make_shared<ReadArgs>();
  CLI::App* s = release->add_subcommand("show", "one release's manifest");
  AddCommon(s, &show->common);
  s->add_option("RELEASE", show->ref, "latest, latest-stable or a version number")->capture_default_str();
  s->callback([show, exit_code] { *exit_code = ShowRelease(*show); });

  auto history = std::make_shared<ReadArgs>();
  CLI::App* h = release->add_subcommand("history", "the promotions to latest-stable, newest first");
  AddCommon(h, &history->common);
  h->add_option("--limit", history->limit, "at most this many (0: all)")->capture_default_str();
  h->callback([history, exit_code] { *exit_code = ShowHistory(*history); });
}

}  // namespace shoal
