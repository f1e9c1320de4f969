// Where a request ends, and what is refused before its body is read.
#include "api/http_framing.h"

#include <gtest/gtest.h>

#include <string>

namespace shoal {
namespace {

using State = RequestFraming::State;

const FramingLimits kLimits{/*max_head_bytes=*/256, /*max_body_bytes=*/1000};

TEST(ExamineRequest, IncompleteUntilTheBlankLine) {
  for (const std::string partial : {"", "G", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: x\r\n",
                                    "GET / HTTP/1.1\r\nHost: x\r\n\r"}) {
    EXPECT_EQ(ExamineRequest(partial, kLimits).state, State::kIncomplete) << partial;
  }
}

TEST(ExamineRequest, AHeadWithoutABodyIsComplete) {
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const RequestFraming f = ExamineRequest(head, kLimits);
  ASSERT_EQ(f.state, State::kReady);
  EXPECT_EQ(f.head_bytes, head.size());
  EXPECT_EQ(f.body_bytes, 0u);
  EXPECT_FALSE(f.expect_continue);
}

TEST(ExamineRequest, ContentLengthGivesTheBody) {
  const std::string head = "POST /v1/apply HTTP/1.1\r\ncontent-length:  12 \r\nExpect: 100-Continue\r\n\r\n";
  const RequestFraming f = ExamineRequest(head + "{\"a\"", kLimits);
  ASSERT_EQ(f.state, State::kReady);
  EXPECT_EQ(f.head_bytes, head.size());
  EXPECT_EQ(f.body_bytes, 12u);
  EXPECT_TRUE(f.expect_continue);
  EXPECT_EQ(ExamineRequest("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", kLimits).body_bytes,
            5u);
}

TEST(ExamineRequest, ABodyAboveTheLimitIsRefusedFromItsLengthAlone) {
  for (const std::string length : {"1001", "31457280", "99999999999999999999999"}) {
    const RequestFraming f = ExamineRequest("POST / HTTP/1.1\r\nContent-Length: " + length + "\r\n\r\n", kLimits);
    EXPECT_EQ(f.state, State::kRefused) << length;
    EXPECT_EQ(f.status, 413) << length;
    EXPECT_NE(f.reason.find("1000"), std::string::npos) << f.reason;
  }
  EXPECT_EQ(ExamineRequest("POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n", kLimits).state, State::kReady);
}

TEST(ExamineRequest, AHeadAboveTheLimitIsRefused) {
  const std::string long_head = "GET / HTTP/1.1\r\nX-Pad: " + std::string(300, 'a');
  EXPECT_EQ(ExamineRequest(long_head, kLimits).status, 431) << "refused before its end arrives";
  EXPECT_EQ(ExamineRequest(long_head + "\r\n\r\n", kLimits).status, 431);
  EXPECT_EQ(ExamineRequest(std::string(256, 'G'), kLimits).state, State::kIncomplete) << "exactly the limit";
}

TEST(ExamineRequest, RefusesChunkedAndBadLengths) {
  EXPECT_EQ(ExamineRequest("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", kLimits).status, 411);
  for (const std::string bad : {"-1", "12abc", "", "0x10", "1 2"}) {
    EXPECT_EQ(ExamineRequest("POST / HTTP/1.1\r\nContent-Length: " + bad + "\r\n\r\n", kLimits).status, 400) << bad;
  }
  EXPECT_EQ(ExamineRequest("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", kLimits).status, 400);
}

}  // namespace
}  // namespace shoal
