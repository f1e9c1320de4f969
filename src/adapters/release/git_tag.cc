#include "adapters/release/git_tag.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace shoal {
namespace {

constexpr std::size_t kMaxOutput = 64 << 10;
constexpr int kPushTimeoutSeconds = 120;
constexpr int kLocalTimeoutSeconds = 30;

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

// The process environment plus GIT_TERMINAL_PROMPT=0: a push that needs a
// password fails instead of waiting for one.
std::vector<std::string> ChildEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "GIT_TERMINAL_PROMPT=", 20) != 0) env.emplace_back(*e);
  }
  env.emplace_back("GIT_TERMINAL_PROMPT=0");
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Reads the child's output until it closes the pipe or the deadline passes.
bool ReadUntil(int fd, std::chrono::steady_clock::time_point deadline, std::string* output) {
  char buffer[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    if (output->size() < kMaxOutput) output->append(buffer, std::min<std::size_t>(n, kMaxOutput - output->size()));
  }
}

std::string Describe(const std::vector<std::string>& args, const GitRun& run) {
  std::string text = "git";
  for (const std::string& a : args) text += " " + a;
  text += run.exit_code < 0 ? " did not finish" : " exited with status " + std::to_string(run.exit_code);
  const std::string out = Trim(run.output);
  return out.empty() ? text : text + ": " + out;
}

Result<GitRun> MustRun(const std::string& repo, const std::vector<std::string>& args, int timeout_seconds) {
  auto run = RunGit(repo, args, timeout_seconds);
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) return Status::Unavailable(Describe(args, *run));
  return run;
}

}  // namespace

Result<GitRun> RunGit(const std::string& repo, const std::vector<std::string>& args, int timeout_seconds) {
  std::vector<std::string> argv_strings{"git", "-C", repo};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = ChildEnvironment();
  std::vector<char*> argv = Pointers(argv_strings);
  std::vector<char*> envp = Pointers(env_strings);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::IoError(std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return Status::IoError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    ::close_range(3, ~0U, 0);
    ::execvpe("git", argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  GitRun run;
  const bool finished = ReadUntil(pipe_fds[0], std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds),
                                  &run.output);
  ::close(pipe_fds[0]);
  if (!finished) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = finished && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (run.exit_code == 127) return Status::NotFound("git is not installed (or not on PATH): " + Trim(run.output));
  return run;
}

Status ValidateTagName(const std::string& repo, const std::string& tag) {
  if (tag.empty() || tag.front() == '-') return Status::InvalidArgument("--tag \"" + tag + "\" is not a tag name");
  auto run = RunGit(repo, {"check-ref-format", "refs/tags/" + tag}, kLocalTimeoutSeconds);
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) return Status::InvalidArgument("--tag \"" + tag + "\" is not a name git accepts for a tag");
  return Status::Ok();
}

Status CheckCommit(const std::string& repo, const std::string& commit) {
  if (commit.empty()) {
    return Status::InvalidArgument("the release has no GIT_COMMIT to tag (publish it with --git-commit), or leave out --git-repo");
  }
  auto run = RunGit(repo, {"rev-parse", "--verify", "--quiet", commit + "^{commit}"}, kLocalTimeoutSeconds);
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    return Status::NotFound("commit " + commit + " is not in the git repository " + repo +
                            " (fetch it there, or pass the repository that has it with --git-repo)");
  }
  return Status::Ok();
}

Result<TagOutcome> TagAndPush(const std::string& repo, const std::string& tag, const std::string& commit,
                              const std::string& message) {
  // An annotated tag needs a tagger; a repository without one gets Shoal's.
  std::vector<std::string> tag_args;
  auto email = RunGit(repo, {"config", "user.email"}, kLocalTimeoutSeconds);
  if (!email.ok()) return email.status();
  if (email->exit_code != 0) tag_args = {"-c", "user.name=Shoal", "-c", "user.email=shoal@localhost"};
  for (const char* a : {"tag", "-f", "-a", "-m"}) tag_args.emplace_back(a);
  tag_args.push_back(message);
  tag_args.push_back(tag);
  tag_args.push_back(commit);
  auto tagged = MustRun(repo, tag_args, kLocalTimeoutSeconds);
  if (!tagged.ok()) return tagged.status();

  auto remotes = MustRun(repo, {"remote"}, kLocalTimeoutSeconds);
  if (!remotes.ok()) return remotes.status();
  TagOutcome outcome;
  std::string text = remotes->output;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string name = text.substr(start, end - start);
    if (name == "origin" || (outcome.remote.empty() && !name.empty())) outcome.remote = name;
    start = end + 1;
  }
  if (outcome.remote.empty()) return outcome;
  const std::string ref = "refs/tags/" + tag;
  auto pushed = MustRun(repo, {"push", "--force", outcome.remote, ref + ":" + ref}, kPushTimeoutSeconds);
  if (!pushed.ok()) return pushed.status().WithContext("tag " + tag + " was made but not pushed");
  return outcome;
}

}  // namespace shoal
