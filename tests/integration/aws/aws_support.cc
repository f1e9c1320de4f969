#include "aws_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_util.h"

namespace shoal::aws::testing {
namespace {

constexpr const char* kPyenvBin = "/root/.pyenv/versions/3.11.7/bin/";

std::string FromEnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

std::string PythonPath() { return FromEnvOr("SHOAL_PYTHON", std::string(kPyenvBin) + "python3"); }
std::string MotoServerPath() { return FromEnvOr("SHOAL_MOTO_SERVER", std::string(kPyenvBin) + "moto_server"); }

bool Executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

int RunCapture(const std::vector<std::string>& args, std::string* out, std::string* err) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe(out_pipe) != 0) return -1;
  if (pipe(err_pipe) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return -1;
  }
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Small outputs: stdout first, then stderr, cannot fill both pipes at once.
  *out = ReadAll(out_pipe[0]);
  *err = ReadAll(err_pipe[0]);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

MotoServer::~MotoServer() { Stop(); }

bool MotoServer::Start() {
  dir_ = shoal::testing::MakeTempDir("shoal-moto");
  port_ = shoal::testing::FreePort();
  const std::string log = dir_ + "/moto.log";
  std::vector<std::string> args = {MotoServerPath(), "-H", "127.0.0.1", "-p", std::to_string(port_)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);  // its own group, so Stop reaches any child it starts
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid_ < 0) return false;
  setpgid(pid_, pid_);
  return shoal::testing::WaitUntil(
      [this] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {  // it died
          pid_ = -1;
          return true;
        }
        return shoal::testing::HttpGet(port_, "/moto-api/") == 200;
      },
      std::chrono::seconds(30)) && pid_ > 0;
}

void MotoServer::Stop() {
  if (pid_ > 0) {
    kill(-pid_, SIGTERM);
    const bool gone = shoal::testing::WaitUntil(
        [this] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }, std::chrono::seconds(10));
    if (!gone) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

std::string MotoServer::Log() const {
  std::ifstream in(dir_ + "/moto.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

FlakyProxy::FlakyProxy(int target_port, int failures, int failure_status, std::string failure_body)
    : target_port_(target_port), failures_(failures), failure_status_(failure_status),
      failure_body_(std::move(failure_body)) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
  // Bodies through a content reader: cpp-httplib refuses a form body over
  // 8 KiB (413) before a plain handler sees it, and GetMetricData of a
  // hundred instances is larger.
  auto with_body = [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
    httplib::Request whole = req;
    read([&](const char* data, std::size_t size) {
      whole.body.append(data, size);
      return true;
    });
    Handle(whole, res);
  };
  server_.Get(".*", handler);
  server_.Post(".*", with_body);
  server_.Put(".*", with_body);
  server_.Delete(".*", handler);
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FlakyProxy::~FlakyProxy() {
  server_.stop();
  thread_.join();
}

void FlakyProxy::FailWhen(std::function<bool(const std::string& body)> match, int status, std::string body) {
  std::lock_guard lock(rule_mu_);
  match_ = std::move(match);
  match_status_ = status;
  match_body_ = std::move(body);
}

std::map<std::string, int> FlakyProxy::CountsByAction() {
  std::lock_guard lock(rule_mu_);
  return by_action_;
}

void FlakyProxy::ResetCounts() {
  std::lock_guard lock(rule_mu_);
  by_action_.clear();
}

bool FlakyProxy::Matches(const httplib::Request& req, int* status, std::string* body) {
  std::lock_guard lock(rule_mu_);
  std::string action;
  const std::string target = req.get_header_value("X-Amz-Target");
  if (!target.empty()) {
    action = target.substr(target.find('.') + 1);
  } else if (const std::size_t at = req.body.find("Action="); at != std::string::npos) {
    action = req.body.substr(at + 7, req.body.find('&', at) - at - 7);
  } else {
    action = req.method + " " + req.path;
  }
  ++by_action_[action];
  if (!match_ || !match_(req.body)) return false;
  *status = match_status_;
  *body = match_body_;
  ++matched_;
  return true;
}

void FlakyProxy::Handle(const httplib::Request& req, httplib::Response& res) {
  int status = 0;
  std::string body;
  if (++requests_ <= failures_ || Matches(req, &status, &body)) {
    res.status = status != 0 ? status : failure_status_;
    res.set_header("x-amzn-RequestId", "proxy-" + std::to_string(requests_.load()));
    res.set_content(status != 0 ? body : failure_body_, "text/xml");
    return;
  }
  httplib::Client target("127.0.0.1", target_port_);
  target.set_read_timeout(30);
  httplib::Headers headers;
  for (const auto& [name, value] : req.headers) {
    if (name != "Content-Length" && name != "Host" && name != "REMOTE_ADDR" && name != "REMOTE_PORT" &&
        name != "LOCAL_ADDR" && name != "LOCAL_PORT") {
      headers.emplace(name, value);
    }
  }
  std::string path = req.target;
  const std::string type = req.get_header_value("Content-Type");
  httplib::Result answer = req.method == "GET"    ? target.Get(path, headers)
                           : req.method == "PUT"    ? target.Put(path, headers, req.body, type)
                           : req.method == "DELETE" ? target.Delete(path, headers, req.body, type)
                                                    : target.Post(path, headers, req.body, type);
  if (!answer) {
    res.status = 502;
    return;
  }
  res.status = answer->status;
  for (const auto& [name, value] : answer->headers) {
    if (name != "Content-Length" && name != "Transfer-Encoding" && name != "Connection") res.set_header(name, value);
  }
  res.set_content(answer->body, answer->get_header_value("Content-Type"));
}

MotoServer* MotoSuite::moto_ = nullptr;

EnvLookup MotoSuite::MotoEnv() {
  return MapEnv({{"AWS_REGION", "us-east-1"},
                 {"AWS_ENDPOINT_URL", moto_->url()},
                 {"AWS_ACCESS_KEY_ID", "testing"},
                 {"AWS_SECRET_ACCESS_KEY", "testing"},
                 {"HOME", "/nonexistent"},
                 {"AWS_EC2_METADATA_DISABLED", "true"}});
}

void MotoSuite::SetUpTestSuite() {
  if (!Executable(MotoServerPath())) return;  // each test says so
  moto_ = new MotoServer();
  if (!moto_->Start()) {
    ADD_FAILURE() << "moto_server did not start:\n" << moto_->Log();
    delete moto_;
    moto_ = nullptr;
  }
}

void MotoSuite::TearDownTestSuite() {
  delete moto_;
  moto_ = nullptr;
}

void MotoSuite::SetUp() {
  SHOAL_REQUIRE_EXECUTABLE(MotoServerPath());
  ASSERT_NE(moto_, nullptr) << "moto_server did not start (see the suite's first failure)";
}

}  // namespace shoal::aws::testing
