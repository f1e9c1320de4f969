#include "adapters/data/prices.h"

#include <gtest/gtest.h>

#include <string>

#include "adapters/data/iso_time.h"

namespace shoal {
namespace {

const std::string kRepo = SHOAL_SOURCE_DIR;
const std::string kSpotHeader = "timestamp,instance_type,zone,spot_price_usd_per_hour\n";
const std::string kOdHeader = "instance_type,region,usd_per_hour\n";
const std::string kAdvHeader =
    "instance_type,region,interruption_bucket,interruption_frequency,savings_vs_ondemand_pct\n";

TEST(PricesIsoTime, KnownValues) {
  const std::pair<const char*, std::int64_t> cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59Z", -1},
      {"2000-01-01T00:00:00Z", 946684800},
      {"2020-02-29T00:00:00Z", 1582934400},  // leap day
      {"2020-03-01T12:05:23Z", 1583064323},
      {"2023-12-30T23:59:59Z", 1703980799},
      {"2038-01-19T03:14:08Z", 2147483648},  // past 32-bit time_t
      {"2100-03-01T00:00:00Z", 4107542400},  // 2100 is not a leap year
  };
  for (const auto& [text, want] : cases) {
    auto got = ParseIsoUtc(text);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status().message();
    EXPECT_EQ(*got, want) << text;
  }
}

TEST(PricesIsoTime, RoundTripsThroughCivilDays) {
  for (std::int64_t days = -800000; days <= 800000; days += 997) {
    const CivilDate d = CivilFromDays(days);
    EXPECT_EQ(DaysFromCivil(d), days);
  }
  EXPECT_EQ(FormatIsoDate(1583064323), "2020-03-01");
  EXPECT_EQ(FormatIsoDate(-1), "1969-12-31");
}

TEST(PricesIsoTime, RejectsBadTimestamps) {
  for (const char* bad : {"2020-03-01 12:05:23Z", "2020-03-01T12:05:23", "2020-03-01T12:05:23+00:00",
                          "2020-3-01T12:05:23Z", "2020-13-01T00:00:00Z", "2020-00-01T00:00:00Z",
                          "2019-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2020-04-31T00:00:00Z",
                          "2020-03-01T24:00:00Z", "2020-03-01T12:60:00Z", "2020-03-01T12:00:60Z",
                          "2020-0a-01T00:00:00Z", "", "0000-01-01T00:00:00Z"}) {
    EXPECT_FALSE(ParseIsoUtc(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseIsoUtc("2000-02-29T00:00:00Z").ok());
}

TEST(PricesSpot, GroupsByPoolAndSortsByTime) {
  auto s = ParseSpotPrices(kSpotHeader +
                               "2020-03-02T00:00:00Z,m5.large,us-east-1b,0.04\n"
                               "2020-03-01T00:00:00Z,c5.large,us-east-1a,0.03\n"
                               "2020-03-01T00:00:00Z,m5.large,us-east-1b,0.05\n"
                               "2020-03-01T00:00:00Z,m5.large,us-east-1a,0.06\r\n",
                           "spot.csv");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->size(), 3u);
  const SpotPriceSeries& m5b = (*s)[2];
  EXPECT_EQ(m5b.instance_type, "m5.large");
  EXPECT_EQ(m5b.zone, "us-east-1b");
  ASSERT_EQ(m5b.points.size(), 2u);
  EXPECT_EQ(m5b.points[0].unix_seconds, 1583020800);
  EXPECT_DOUBLE_EQ(m5b.points[0].usd_per_hour, 0.05);
  EXPECT_DOUBLE_EQ(m5b.points[1].usd_per_hour, 0.04);
}

struct BadCsv {
  const char* name;
  int which;  // 0 spot, 1 on-demand, 2 advisor
  std::string text;
  const char* message;
};

class PricesErrors : public ::testing::TestWithParam<BadCsv> {};

TEST_P(PricesErrors, NameFileLineAndProblem) {
  const BadCsv& c = GetParam();
  Status st;
  if (c.which == 0) st = ParseSpotPrices(c.text, "p.csv").status();
  if (c.which == 1) st = ParseOnDemandPrices(c.text, "p.csv").status();
  if (c.which == 2) st = ParseSpotAdvisor(c.text, "p.csv").status();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), c.message);
}

INSTANTIATE_TEST_SUITE_P(
    PricesParse, PricesErrors,
    ::testing::Values(
        BadCsv{"SpotWrongHeader", 0, "timestamp,type,zone,price\n",
               "p.csv:1: expected the header 'timestamp,instance_type,zone,spot_price_usd_per_hour', got "
               "'timestamp,type,zone,price'"},
        BadCsv{"SpotEmpty", 0, "",
               "p.csv: file is empty (expected the header "
               "'timestamp,instance_type,zone,spot_price_usd_per_hour')"},
        BadCsv{"SpotNoRows", 0, kSpotHeader, "p.csv: no data rows after the header"},
        BadCsv{"SpotNegative", 0, kSpotHeader + "2020-03-01T00:00:00Z,m5.large,us-east-1a,-0.1\n",
               "p.csv:2: spot_price_usd_per_hour must be above 0 ('-0.1')"},
        BadCsv{"SpotZero", 0, kSpotHeader + "2020-03-01T00:00:00Z,m5.large,us-east-1a,0\n",
               "p.csv:2: spot_price_usd_per_hour must be above 0 ('0')"},
        BadCsv{"SpotText", 0, kSpotHeader + "2020-03-01T00:00:00Z,m5.large,us-east-1a,cheap\n",
               "p.csv:2: spot_price_usd_per_hour is not a number ('cheap')"},
        BadCsv{"SpotInfinite", 0, kSpotHeader + "2020-03-01T00:00:00Z,m5.large,us-east-1a,inf\n",
               "p.csv:2: spot_price_usd_per_hour is not a number ('inf')"},
        BadCsv{"SpotBadTime", 0, kSpotHeader + "2020-02-30T00:00:00Z,m5.large,us-east-1a,0.1\n",
               "p.csv:2: timestamp '2020-02-30T00:00:00Z' is not a calendar date"},
        BadCsv{"SpotLocalTime", 0, kSpotHeader + "2020-03-01T00:00:00,m5.large,us-east-1a,0.1\n",
               "p.csv:2: timestamp '2020-03-01T00:00:00' is not ISO-8601 UTC like 2020-03-01T12:05:23Z"},
        BadCsv{"SpotNoZone", 0, kSpotHeader + "2020-03-01T00:00:00Z,m5.large,,0.1\n", "p.csv:2: zone is empty"},
        BadCsv{"SpotFields", 0, kSpotHeader + "2020-03-01T00:00:00Z,m5.large,us-east-1a\n",
               "p.csv:2: expected 4 fields, got 3"},
        BadCsv{"OnDemandWrongHeader", 1, "type,region,usd_per_hour\nm5.large,us-east-1,0.096\n",
               "p.csv:1: expected the header 'instance_type,region,usd_per_hour', got 'type,region,usd_per_hour'"},
        BadCsv{"OnDemandZero", 1, kOdHeader + "m5.large,us-east-1,0\n", "p.csv:2: usd_per_hour must be above 0 ('0')"},
        BadCsv{"OnDemandText", 1, kOdHeader + "m5.large,us-east-1,$0.096\n",
               "p.csv:2: usd_per_hour is not a number ('$0.096')"},
        BadCsv{"OnDemandDuplicate", 1, kOdHeader + "m5.large,us-east-1,0.096\nm5.large,us-east-1,0.1\n",
               "p.csv:3: duplicate row for (m5.large, us-east-1), first on line 2"},
        BadCsv{"AdvisorBucketHigh", 2, kAdvHeader + "m5.large,us-east-1,5,>20%,59\n",
               "p.csv:2: interruption_bucket must be 0..4, got 5"},
        BadCsv{"AdvisorSavingsHigh", 2, kAdvHeader + "m5.large,us-east-1,2,10-15%,101\n",
               "p.csv:2: savings_vs_ondemand_pct must be 0..100, got 101"},
        BadCsv{"AdvisorSavingsText", 2, kAdvHeader + "m5.large,us-east-1,2,10-15%,x\n",
               "p.csv:2: savings_vs_ondemand_pct is not an integer ('x')"},
        BadCsv{"AdvisorLabelMismatch", 2, kAdvHeader + "m5.large,us-east-1,2,<5%,59\n",
               "p.csv:2: interruption_frequency '<5%' does not match bucket 2 (expected '10-15%')"},
        BadCsv{"AdvisorDuplicate", 2, kAdvHeader + "m5.large,us-east-1,2,10-15%,59\nm5.large,us-east-1,2,10-15%,59\n",
               "p.csv:3: duplicate row for (m5.large, us-east-1), first on line 2"}),
    [](const ::testing::TestParamInfo<BadCsv>& info) { return std::string(info.param.name); });

TEST(PricesParse, OnDemandAndAdvisorValues) {
  auto od = ParseOnDemandPrices(kOdHeader + "m4.large,us-east-1,0.1\n", "od.csv");
  ASSERT_TRUE(od.ok()) << od.status().message();
  EXPECT_DOUBLE_EQ(od->at({"m4.large", "us-east-1"}), 0.1);
  auto adv = ParseSpotAdvisor(kAdvHeader + "m4.large,us-east-1,0,<5%,52\nm5.large,us-west-2,3,15-20%,68\n", "a.csv");
  ASSERT_TRUE(adv.ok()) << adv.status().message();
  EXPECT_EQ(adv->at({"m4.large", "us-east-1"}).savings_pct, 52);
  EXPECT_EQ(adv->at({"m5.large", "us-west-2"}).interruption_bucket, 3);
}

TEST(PricesRegion, RegionOfZone) {
  EXPECT_EQ(RegionOfZone("us-east-1a"), "us-east-1");
  EXPECT_EQ(RegionOfZone("eu-west-3c"), "eu-west-3");
  EXPECT_EQ(RegionOfZone("ap-southeast-2b"), "ap-southeast-2");
  EXPECT_EQ(RegionOfZone("us-west-2-lax-1a"), "us-west-2-lax-1");  // local zones keep their suffix
  EXPECT_EQ(RegionOfZone("us-east-1"), "us-east-1");               // already a region
  EXPECT_EQ(RegionOfZone(""), "");
}

TEST(PricesLoad, BundledTables) {
  auto t = LoadPriceTables(kRepo + "/data/spot_prices.csv", kRepo + "/data/ondemand_prices.csv",
                           kRepo + "/data/spot_advisor_interruption.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->spot.size(), 21u);
  std::size_t points = 0;
  for (const auto& s : t->spot) points += s.points.size();
  EXPECT_EQ(points, 4963u);
  EXPECT_EQ(t->on_demand.size(), 31u);
  EXPECT_DOUBLE_EQ(t->on_demand.at({"m4.large", "us-east-1"}), 0.1);
  EXPECT_EQ(t->advisor.size(), 208u);
  EXPECT_EQ(t->advisor.at({"m4.large", "us-east-1"}).savings_pct, 52);
  EXPECT_EQ(t->advisor.at({"m5.large", "us-east-1"}).interruption_bucket, 2);
}

TEST(PricesLoad, MissingFileIsNamed) {
  auto t = LoadPriceTables(kRepo + "/data/spot_prices.csv", kRepo + "/data/nope_ondemand.csv",
                           kRepo + "/data/spot_advisor_interruption.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kIoError);
  EXPECT_NE(t.status().message().find("nope_ondemand.csv"), std::string::npos) << t.status().message();
}

}  // namespace
}  // namespace shoal
