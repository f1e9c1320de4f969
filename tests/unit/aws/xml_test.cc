// Reading AWS XML answers through the small XmlNode interface.
#include "adapters/aws/xml.h"

#include <gtest/gtest.h>

namespace shoal::aws {
namespace {

constexpr const char* kDescribeInstances = R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item><reservationId>r-1</reservationId>
      <instancesSet>
        <item><instanceId>i-a</instanceId><instanceState><name>running</name></instanceState></item>
        <item><instanceId>i-b</instanceId><instanceState><name>pending</name></instanceState></item>
      </instancesSet>
    </item>
    <item><reservationId>r-2</reservationId>
      <instancesSet><item><instanceId>i-c</instanceId></item></instancesSet>
    </item>
  </reservationSet>
</DescribeInstancesResponse>)";

TEST(XmlTest, FindsPathsAndEveryRepeatedElement) {
  auto doc = XmlDocument::Parse(kDescribeInstances);
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  const XmlNode root = doc->Root();
  EXPECT_EQ(root.Name(), "DescribeInstancesResponse");
  EXPECT_EQ(root.Text("requestId"), "8f7724cf-496f-496e-8fe3-example");
  std::vector<std::string> ids;
  for (const XmlNode& item : root.All("reservationSet/item/instancesSet/item")) ids.push_back(item.Text("instanceId"));
  EXPECT_EQ(ids, (std::vector<std::string>{"i-a", "i-b", "i-c"}));
  EXPECT_EQ(root.Text("reservationSet/item/instancesSet/item/instanceState/name"), "running");
  EXPECT_EQ(root.Child("reservationSet").Children("item").size(), 2u);
}

TEST(XmlTest, MissingNodesAreEmptyAllTheWayDown) {
  auto doc = XmlDocument::Parse(kDescribeInstances);
  const XmlNode missing = doc->Root().Find("nothing/here");
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.Text("deeper"), "");
  EXPECT_TRUE(missing.All("x/y").empty());
  EXPECT_TRUE(doc->Root().All("reservationSet/nothing").empty());
}

TEST(XmlTest, EntitiesAndCdataAreDecoded) {
  auto doc = XmlDocument::Parse("<a><b>x &amp; y &lt;z&gt;</b><c><![CDATA[<raw>]]></c></a>");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->Root().Text("b"), "x & y <z>");
  EXPECT_EQ(doc->Root().Text("c"), "<raw>");
}

TEST(XmlTest, MalformedDocumentsSayWhere) {
  for (const char* text : {"", "   ", "<a><b></a>", "<a>", "not xml", "<a x=1></a>"}) {
    auto doc = XmlDocument::Parse(text);
    ASSERT_FALSE(doc.ok()) << text;
    EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(doc.status().message().find("malformed XML"), std::string::npos);
  }
}

TEST(XmlTest, DoctypeEntitiesAreNotExpanded) {
  // A "billion laughs" document: pugixml does not expand DTD entities, so
  // the text stays small (or the parse fails) instead of exploding.
  auto doc = XmlDocument::Parse(
      "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
      "<l>&b;</l>");
  if (doc.ok()) {
    EXPECT_LT(doc->Root().Text().size(), 100u);
  }
}

}  // namespace
}  // namespace shoal::aws
