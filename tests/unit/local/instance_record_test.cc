#include "adapters/local/instance_record.h"
#include "test_ids.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace shoal {
namespace {

TEST(LocalCloudRecord, JsonRoundTripKeepsEveryField) {
  InstanceRecord r;
  r.id = Id(0xa3);
  r.group = "web";
  r.market = Market::kSpot;
  r.pool = "m5.large/us-east-1a";
  r.instance_type = "m5.large";
  r.zone = "us-east-1a";
  r.weight = 2;
  r.bid = 0.05;
  r.version = 3;
  r.port = 41234;
  r.launch_token = "tok-1";
  r.launched_at = 1700000000;
  r.imds_port = 41235;
  r.pgid = 4242;
  r.start_ticks = 987654321;
  r.interrupt_at = 1700000120;
  r.state = kRecordRunning;
  Result<InstanceRecord> back = ParseRecord(RecordToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->group, r.group);
  EXPECT_EQ(back->market, r.market);
  EXPECT_EQ(back->pool, r.pool);
  EXPECT_EQ(back->instance_type, r.instance_type);
  EXPECT_EQ(back->zone, r.zone);
  EXPECT_DOUBLE_EQ(back->weight, r.weight);
  EXPECT_DOUBLE_EQ(back->bid, r.bid);
  EXPECT_EQ(back->version, r.version);
  EXPECT_EQ(back->port, r.port);
  EXPECT_EQ(back->launch_token, r.launch_token);
  EXPECT_EQ(back->launched_at, r.launched_at);
  EXPECT_EQ(back->imds_port, r.imds_port);
  EXPECT_EQ(back->pgid, r.pgid);
  EXPECT_EQ(back->start_ticks, r.start_ticks);
  EXPECT_EQ(back->interrupt_at, r.interrupt_at);
  EXPECT_EQ(back->state, r.state);
}

TEST(LocalCloudRecord, RejectsBrokenJsonAndUnknownMarket) {
  EXPECT_FALSE(ParseRecord("{not json").ok());
  InstanceRecord r;
  r.id = Id(1);
  std::string text = RecordToJson(r);
  text.replace(text.find("on-demand"), 9, "reserved");
  Result<InstanceRecord> bad = ParseRecord(text);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("reserved"), std::string::npos);
}

TEST(LocalCloudRecord, DirectoryNameIsSixteenHexDigits) {
  EXPECT_EQ(InstanceDirName(Id(0xa3)), "00000000000000a3");
}

TEST(LocalCloudRecord, WriteThenReadFromDisk) {
  std::string tmpl = "/tmp/shoal-record-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl.data());
  InstanceRecord r;
  r.id = Id(7);
  r.group = "api";
  r.port = 5000;
  ASSERT_TRUE(WriteRecord(dir, r).ok());
  EXPECT_FALSE(std::filesystem::exists(dir + "/instance.json.tmp"));
  Result<InstanceRecord> back = ReadRecord(dir);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->group, "api");
  EXPECT_EQ(back->port, 5000);
  Result<InstanceRecord> missing = ReadRecord(dir + "/nope");
  EXPECT_FALSE(missing.ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace shoal

namespace shoal {
namespace {

TEST(LocalCloudRecord, ReadsTheNumericIdOlderVersionsWrote) {
  InstanceRecord r;
  r.id = Id(0x2a);
  std::string text = RecordToJson(r);
  const std::string written = "\"id\": \"i-000000000000002a\"";
  ASSERT_NE(text.find(written), std::string::npos) << text;
  text.replace(text.find(written), written.size(), "\"id\": 42");
  Result<InstanceRecord> old = ParseRecord(text);
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_EQ(old->id, Id(0x2a));
  text.replace(text.find("\"id\": 42"), 8, "\"id\": \"../x\"");
  EXPECT_FALSE(ParseRecord(text).ok());
}

}  // namespace
}  // namespace shoal
