#include "adapters/local/proc_stat.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace shoal {
namespace {

// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt
// cmajflt utime stime cutime cstime priority nice threads itreal starttime ...
std::string Line(const std::string& comm, char state = 'S') {
  return "4321 (" + comm + ") " + std::string(1, state) +
         " 1 4300 4300 0 -1 4194560 100 0 0 0 250 75 3 4 20 0 1 0 123456 1000 200 ...\n";
}

TEST(LocalCloudProcStat, ParsesGroupStateAndTimes) {
  auto st = ParseProcStat(Line("shoal_web"));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->pid, 4321);
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->pgrp, 4300);
  EXPECT_EQ(st->utime, 250u);
  EXPECT_EQ(st->stime, 75u);
  EXPECT_EQ(st->cutime, 3u);
  EXPECT_EQ(st->cstime, 4u);
  EXPECT_EQ(st->start_ticks, 123456u);
  EXPECT_TRUE(st->Alive());
}

TEST(LocalCloudProcStat, CommWithSpacesAndParenthesesDoesNotShiftFields) {
  for (const std::string comm : {"my app", "a) S 1 2 3 (", "((x))", ") 9 9 9", " "}) {
    auto st = ParseProcStat(Line(comm));
    ASSERT_TRUE(st.has_value()) << comm;
    EXPECT_EQ(st->pgrp, 4300) << comm;
    EXPECT_EQ(st->utime, 250u) << comm;
    EXPECT_EQ(st->stime, 75u) << comm;
    EXPECT_EQ(st->start_ticks, 123456u) << comm;
  }
}

TEST(LocalCloudProcStat, ZombiesAndDeadProcessesAreNotAlive) {
  EXPECT_FALSE(ParseProcStat(Line("x", 'Z'))->Alive());
  EXPECT_FALSE(ParseProcStat(Line("x", 'X'))->Alive());
  EXPECT_TRUE(ParseProcStat(Line("x", 'R'))->Alive());
}

TEST(LocalCloudProcStat, RejectsTruncatedOrMalformedLines) {
  EXPECT_FALSE(ParseProcStat("").has_value());
  EXPECT_FALSE(ParseProcStat("4321 (x) S 1 4300").has_value());
  EXPECT_FALSE(ParseProcStat("abc (x) S 1 4300 4300 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5").has_value());
  EXPECT_FALSE(ParseProcStat("4321 x S 1 4300 4300 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5").has_value());
}

TEST(LocalCloudProcStat, ReadsThisProcess) {
  auto self = ReadProcStat(::getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->pid, ::getpid());
  EXPECT_EQ(self->pgrp, ::getpgrp());
  bool found = false;
  for (const ProcStat& p : ScanProcesses()) found = found || p.pid == ::getpid();
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace shoal
