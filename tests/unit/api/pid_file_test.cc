// The pid file names the daemon by pid and start time; down signals only it.
#include "api/pid_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "adapters/local/proc_stat.h"

namespace shoal {
namespace {

class PidFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "shoal_pid_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/shoal.pid";
  }
  void TearDown() override {
    if (child_ > 0) {
      kill(child_, SIGKILL);
      waitpid(child_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }
  // A live process that is not the daemon.
  pid_t Sleeper() {
    child_ = fork();
    if (child_ == 0) {
      execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until it runs sleep, so its cmdline is sleep's.
    for (int i = 0; i < 200; ++i) {
      std::ifstream cmd("/proc/" + std::to_string(child_) + "/cmdline");
      std::string argv0;
      std::getline(cmd, argv0, '\0');
      if (argv0 == "sleep") break;
      usleep(10000);
    }
    return child_;
  }

  std::string dir_, path_;
  pid_t child_ = -1;
};

TEST_F(PidFileTest, TheWriterIsRecognisedAsTheDaemon) {
  ASSERT_TRUE(WritePidFile(path_).ok());
  const PidFileOwner owner = CheckPidFile(path_);
  EXPECT_EQ(owner.verdict, PidFileOwner::Verdict::kDaemon) << owner.why;
  EXPECT_EQ(owner.pid, getpid());
}

TEST_F(PidFileTest, NoFileAndAGoneProcess) {
  EXPECT_EQ(CheckPidFile(path_).verdict, PidFileOwner::Verdict::kNoFile);
  const pid_t gone = Sleeper();
  kill(gone, SIGKILL);
  waitpid(gone, nullptr, 0);
  child_ = -1;
  std::ofstream(path_) << gone << " 12345\n";
  EXPECT_EQ(CheckPidFile(path_).verdict, PidFileOwner::Verdict::kGone);
}

TEST_F(PidFileTest, ALiveProcessThatStartedAtAnotherTimeIsNotTheDaemon) {
  const pid_t other = Sleeper();
  const std::optional<ProcStat> st = ReadProcStat(other);
  ASSERT_TRUE(st);
  std::ofstream(path_) << other << " " << st->start_ticks + 1 << "\n";
  const PidFileOwner owner = CheckPidFile(path_);
  EXPECT_EQ(owner.verdict, PidFileOwner::Verdict::kOther);
  EXPECT_NE(owner.why.find("sleep 60"), std::string::npos) << owner.why;
}

TEST_F(PidFileTest, AnOldPidOnlyFileIsTrustedOnlyForShoalServe) {
  const pid_t other = Sleeper();
  std::ofstream(path_) << other << "\n";
  const PidFileOwner owner = CheckPidFile(path_);
  EXPECT_EQ(owner.verdict, PidFileOwner::Verdict::kOther);
  EXPECT_NE(owner.why.find("not `shoal serve`"), std::string::npos) << owner.why;
}

TEST_F(PidFileTest, GarbageIsUnreadable) {
  for (const std::string text : {"", "abc", "1", "-5", "0 7"}) {
    std::ofstream(path_) << text;
    EXPECT_EQ(CheckPidFile(path_).verdict, PidFileOwner::Verdict::kUnreadable) << text;
  }
}

}  // namespace
}  // namespace shoal
