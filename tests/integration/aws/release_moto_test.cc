// `shoal release` against a real S3 (moto_server on loopback), read back
// with the real `aws s3` CLI and the seed's `grep | cut`: publish (small
// and multipart), concurrent publishers (threads and processes), promote
// with a real git repository and a remote, and a corrupt tar refused.
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/aws/client.h"
#include "adapters/aws/s3_blob_store.h"
#include "adapters/release/publish.h"
#include "adapters/release/release_store.h"
#include "adapters/system/system_clock.h"
#include "aws_support.h"
#include "unit/release/temp_dir.h"

namespace shoal::aws {
namespace {

std::string AwsCli() {
  const char* env = std::getenv("SHOAL_AWS_CLI");
  return env ? env : "/root/.pyenv/shims/aws";
}

class ReleaseMotoTest : public testing::MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    SHOAL_REQUIRE_EXECUTABLE(AwsCli());
    shoal::testing::WriteText(dir_ / "app/index.html", "<h1>v1</h1>\n");
    shoal::testing::WriteText(dir_ / "app/bin/start", "#!/bin/sh\nexec ./server\n");
    shoal::testing::WriteText(dir_ / "app/.git/HEAD", "ref: refs/heads/main\n");
  }

  // The environment every child gets: moto's endpoint and test credentials, nothing of ours.
  std::vector<std::string> Env() const {
    return {"/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "HOME=" + dir_.path(), "AWS_REGION=us-east-1",
            "AWS_DEFAULT_REGION=us-east-1", "AWS_ENDPOINT_URL=" + moto_->url(), "AWS_ACCESS_KEY_ID=testing",
            "AWS_SECRET_ACCESS_KEY=testing", "AWS_EC2_METADATA_DISABLED=true", "TMPDIR=" + dir_.path()};
  }
  // Runs argv under Env(); the exit status, stdout in *out.
  int Run(std::vector<std::string> argv, std::string* out, std::string* err = nullptr) const {
    std::vector<std::string> full = Env();
    full.insert(full.end(), argv.begin(), argv.end());
    std::string ignored;
    return testing::RunCapture(full, out, err ? err : &ignored);
  }
  int Shoal(std::vector<std::string> args, std::string* out, std::string* err = nullptr) const {
    args.insert(args.begin(), SHOAL_BINARY);
    return Run(std::move(args), out, err);
  }
  // The seed's way of reading a pointer: aws s3 cp, grep, cut.
  std::string SeedRead(const std::string& s3_url, const std::string& key) const {
    std::string out;
    EXPECT_EQ(Run({"/bin/sh", "-c", AwsCli() + " s3 cp " + s3_url + " - | grep " + key + " | cut -d= -f2"}, &out), 0);
    return out;
  }
  void MakeBucket(const std::string& bucket) const {
    std::string out, err;
    ASSERT_EQ(Run({AwsCli(), "s3", "mb", "s3://" + bucket}, &out, &err), 0) << err;
  }
  std::unique_ptr<AwsClient> Client() {
    ClientDeps deps;
    deps.clock = &clock_;
    deps.env = MotoEnv();
    auto client = AwsClient::Create({}, std::move(deps));
    EXPECT_TRUE(client.ok()) << client.status().message();
    return client.ok() ? std::move(*client) : nullptr;
  }

  shoal::testing::TempDir dir_;
  SystemClock clock_;
};

TEST_F(ReleaseMotoTest, PublishedReleasesReadBackWithTheAwsCli) {
  MakeBucket("builds-read");
  const std::string store = "s3://builds-read/ci";
  std::string out, err;
  ASSERT_EQ(Shoal({"release", "publish", "web", "--from", dir_ / "app", "--store", store, "--build", "7",
                   "--git-commit", "abc1234", "--json"},
                  &out, &err),
            0)
      << err;
  EXPECT_EQ(nlohmann::json::parse(out)["version"], 1);
  ASSERT_EQ(Shoal({"release", "publish", "web", "--from", dir_ / "app", "--store", store, "--build", "8"}, &out, &err), 0)
      << err;
  EXPECT_EQ(out, "2\n");  // the version alone, for scripts

  EXPECT_EQ(SeedRead(store + "/web/prod/latest.txt", "VERSION"), "2\n");
  EXPECT_EQ(SeedRead(store + "/web/prod/latest.txt", "BUILD"), "8\n");
  EXPECT_EQ(SeedRead(store + "/web/prod/web-1.release", "GIT_COMMIT"), "abc1234\n");

  ASSERT_EQ(Run({AwsCli(), "s3", "ls", store + "/web/prod/"}, &out), 0);
  for (const char* name : {"latest.txt", "web-1.tar", "web-1.tar.sha256", "web-1.release", "web-2.tar"}) {
    EXPECT_NE(out.find(name), std::string::npos) << name << " not in:\n" << out;
  }
  // The tar and its checksum, as a plain S3 client downloads them.
  const std::string down = dir_ / "down";
  std::filesystem::create_directories(down);
  ASSERT_EQ(Run({AwsCli(), "s3", "cp", store + "/web/prod/web-2.tar", down + "/web-2.tar"}, &out, &err), 0) << err;
  ASSERT_EQ(Run({AwsCli(), "s3", "cp", store + "/web/prod/web-2.tar.sha256", down + "/web-2.tar.sha256"}, &out), 0);
  ASSERT_EQ(Run({"/bin/sh", "-c", "cd " + down + " && sha256sum -c web-2.tar.sha256"}, &out, &err), 0) << out << err;
  ASSERT_EQ(Run({"/bin/tar", "-C", down, "-xf", down + "/web-2.tar"}, &out, &err), 0) << err;
  EXPECT_EQ(shoal::testing::ReadText(down + "/index.html"), "<h1>v1</h1>\n");
  EXPECT_FALSE(std::filesystem::exists(down + "/.git"));
  ASSERT_EQ(Run({"/bin/sh", "-c", "grep VERSION " + down + "/RELEASE | cut -d= -f2"}, &out), 0);
  EXPECT_EQ(out, "2\n");

  ASSERT_EQ(Shoal({"release", "list", "web", "--store", store, "--json"}, &out, &err), 0) << err;
  auto listed = nlohmann::json::parse(out);
  EXPECT_EQ(listed["latest"], 2);
  EXPECT_EQ(listed["releases"].size(), 2u);
}

TEST_F(ReleaseMotoTest, ALargeReleaseGoesUpInPartsAndIsVerifiedInRanges) {
  MakeBucket("builds-large");
  const std::string store = "s3://builds-large";
  {
    std::ofstream big(dir_ / "app/blob.bin", std::ios::binary);
    std::string chunk(1 << 20, '\0');
    for (int i = 0; i < 20; ++i) {
      for (std::size_t j = 0; j < chunk.size(); ++j) chunk[j] = static_cast<char>((i * 131 + j * 7) & 0xff);
      big << chunk;
    }
  }
  std::string out, err;
  ASSERT_EQ(Shoal({"release", "publish", "web", "--from", dir_ / "app", "--store", store, "--json"}, &out, &err), 0) << err;
  const auto published = nlohmann::json::parse(out);
  EXPECT_GT(published["size"].get<std::uint64_t>(), 20u << 20);  // over two 8 MiB parts
  ASSERT_EQ(Run({AwsCli(), "s3", "cp", store + "/web/prod/web-1.tar", dir_ / "big.tar"}, &out, &err), 0) << err;
  ASSERT_EQ(Run({"/usr/bin/sha256sum", dir_ / "big.tar"}, &out), 0);
  EXPECT_EQ(out.substr(0, 64), published["sha256"].get<std::string>());
  // promote downloads it again in ranges and checks the digest.
  ASSERT_EQ(Shoal({"release", "promote", "web", "1", "--store", store}, &out, &err), 0) << err;
  EXPECT_EQ(SeedRead(store + "/web/prod/latest-stable.txt", "VERSION"), "1\n");
}

TEST_F(ReleaseMotoTest, ConcurrentPublisherProcessesGetDistinctConsecutiveVersions) {
  MakeBucket("builds-procs");
  const std::string store = "s3://builds-procs/ci";
  constexpr int kProcesses = 6;
  constexpr int kRounds = 3;
  std::mutex mu;
  std::multiset<int> versions;
  std::vector<std::string> errors;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> threads;
    for (int p = 0; p < kProcesses; ++p) {
      threads.emplace_back([&, p] {
        std::string out, err;
        const int rc = Shoal({"release", "publish", "api", "--from", dir_ / "app", "--store", store, "--build",
                              std::to_string(round) + "-" + std::to_string(p)},
                             &out, &err);
        std::lock_guard<std::mutex> lock(mu);
        if (rc != 0) errors.push_back(err);
        else versions.insert(std::stoi(out));
      });
    }
    for (auto& t : threads) t.join();
  }
  ASSERT_TRUE(errors.empty()) << errors.front();
  std::multiset<int> expected;
  for (int v = 1; v <= kProcesses * kRounds; ++v) expected.insert(v);
  EXPECT_EQ(versions, expected);
  EXPECT_EQ(SeedRead(store + "/api/prod/latest.txt", "VERSION"), std::to_string(kProcesses * kRounds) + "\n");
}

TEST_F(ReleaseMotoTest, ConcurrentPublisherThreadsShareOneS3Store) {
  MakeBucket("builds-threads");
  auto client = Client();
  ASSERT_NE(client, nullptr);
  auto store = S3BlobStore::Create(client.get(), "builds-threads", "x/y");
  ASSERT_TRUE(store.ok()) << store.status().message();
  constexpr int kThreads = 8;
  constexpr int kEach = 5;
  std::mutex mu;
  std::map<std::uint64_t, std::string> build_of_version;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      shoal::testing::TempDir work;
      for (int i = 0; i < kEach; ++i) {
        PublishRequest r;
        r.layout = ReleaseLayout{"svc", "prod"};
        r.source = dir_ / "app";
        r.build = std::to_string(t) + "-" + std::to_string(i);
        r.now = 1764000000;
        r.claimant = "thread:" + r.build;
        r.work_dir = work.path();
        auto published = PublishRelease(store->get(), r);
        std::lock_guard<std::mutex> lock(mu);
        if (!published.ok()) errors.push_back(published.status().message());
        else build_of_version[published->manifest.release.version] = r.build;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(build_of_version.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(build_of_version.rbegin()->first, static_cast<std::uint64_t>(kThreads * kEach));
  ReleaseStore releases(store->get(), ReleaseLayout{"svc", "prod"});
  for (const auto& [version, build] : build_of_version) {
    auto manifest = releases.Manifest(version);
    ASSERT_TRUE(manifest.ok()) << manifest.status().message();
    EXPECT_EQ(manifest->release.build, build);  // nothing overwritten
  }
  EXPECT_EQ(*releases.Resolve("latest"), static_cast<std::uint64_t>(kThreads * kEach));
}

TEST_F(ReleaseMotoTest, PromoteTagsTheCommitAndPushesTheTag) {
  MakeBucket("builds-promote");
  const std::string store = "s3://builds-promote";
  const std::string repo = dir_ / "repo";
  const std::string remote = dir_ / "remote.git";
  std::string out, err;
  auto git = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/git");
    const int rc = Run(args, &out, &err);
    EXPECT_EQ(rc, 0) << err;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  };
  git({"init", "-q", "--bare", remote});
  git({"init", "-q", repo});
  shoal::testing::WriteText(repo + "/README", "one\n");
  git({"-C", repo, "add", "README"});
  git({"-C", repo, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one"});
  const std::string first = git({"-C", repo, "rev-parse", "HEAD"});
  git({"-C", repo, "remote", "add", "origin", remote});

  ASSERT_EQ(Shoal({"release", "publish", "web", "--from", dir_ / "app", "--store", store, "--git-commit", first}, &out, &err), 0)
      << err;
  ASSERT_EQ(Shoal({"release", "promote", "web", "latest", "--store", store, "--git-repo", repo, "--tag", "web-stable"},
                  &out, &err),
            0)
      << err;
  EXPECT_NE(out.find("pushed to origin"), std::string::npos) << out;
  EXPECT_EQ(git({"-C", repo, "cat-file", "-t", "web-stable"}), "tag");  // annotated
  EXPECT_EQ(git({"-C", repo, "rev-parse", "web-stable^{commit}"}), first);
  EXPECT_EQ(git({"-C", remote, "rev-parse", "web-stable^{commit}"}), first);
  EXPECT_EQ(SeedRead(store + "/web/prod/latest-stable.txt", "GIT_COMMIT"), first + "\n");

  // A second release at a new commit: promote moves the tag, here and on the remote.
  shoal::testing::WriteText(repo + "/README", "two\n");
  git({"-C", repo, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-am", "two"});
  const std::string second = git({"-C", repo, "rev-parse", "HEAD"});
  ASSERT_EQ(Shoal({"release", "publish", "web", "--from", dir_ / "app", "--store", store, "--git-commit", second}, &out, &err), 0)
      << err;
  ASSERT_EQ(Shoal({"release", "promote", "web", "2", "--store", store, "--git-repo", repo, "--tag", "web-stable", "--json"},
                  &out, &err),
            0)
      << err;
  EXPECT_EQ(nlohmann::json::parse(out)["previous"], 1);
  EXPECT_EQ(git({"-C", repo, "rev-parse", "web-stable^{commit}"}), second);
  EXPECT_EQ(git({"-C", remote, "rev-parse", "web-stable^{commit}"}), second);

  ASSERT_EQ(Shoal({"release", "history", "web", "--store", store, "--json"}, &out, &err), 0) << err;
  auto history = nlohmann::json::parse(out)["promotions"];
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["version"], 2);
  EXPECT_EQ(history[0]["previous"], 1);

  // A commit the repository does not have: refused before anything moves.
  ASSERT_EQ(Shoal({"release", "publish", "web", "--from", dir_ / "app", "--store", store, "--git-commit", "deadbeef"}, &out, &err), 0);
  EXPECT_NE(Shoal({"release", "promote", "web", "3", "--store", store, "--git-repo", repo}, &out, &err), 0);
  EXPECT_NE(err.find("deadbeef is not in the git repository"), std::string::npos) << err;
  EXPECT_EQ(SeedRead(store + "/web/prod/latest-stable.txt", "VERSION"), "2\n");
}

TEST_F(ReleaseMotoTest, PromoteRefusesACorruptOrMissingRelease) {
  MakeBucket("builds-corrupt");
  const std::string store = "s3://builds-corrupt";
  std::string out, err;
  ASSERT_EQ(Shoal({"release", "publish", "web", "--from", dir_ / "app", "--store", store}, &out, &err), 0) << err;
  // Someone overwrites the tar behind Shoal's back, with a plain S3 client.
  shoal::testing::WriteText(dir_ / "other.tar", "not the release\n");
  ASSERT_EQ(Run({AwsCli(), "s3", "cp", dir_ / "other.tar", store + "/web/prod/web-1.tar"}, &out, &err), 0) << err;
  EXPECT_EQ(Shoal({"release", "promote", "web", "1", "--store", store}, &out, &err), 1);
  EXPECT_NE(err.find("corrupt"), std::string::npos) << err;
  EXPECT_EQ(Shoal({"release", "promote", "web", "7", "--store", store}, &out, &err), 1);
  EXPECT_NE(err.find("release 7 of web/prod does not exist"), std::string::npos) << err;
  EXPECT_EQ(Shoal({"release", "promote", "web", "newest", "--store", store}, &out, &err), 2);
  ASSERT_NE(Run({AwsCli(), "s3", "ls", store + "/web/prod/latest-stable.txt"}, &out), 0);  // never written

  // A tar that would unpack outside its folder is refused before the store sees it.
  ASSERT_EQ(Run({"/bin/sh", "-c", "cd " + dir_.path() + " && ln -s /etc etc-link && tar cf evil.tar etc-link"}, &out), 0);
  EXPECT_EQ(Shoal({"release", "publish", "web", "--from", dir_ / "evil.tar", "--store", store}, &out, &err), 2);
  EXPECT_NE(err.find("is absolute"), std::string::npos) << err;
  ASSERT_EQ(Run({AwsCli(), "s3", "ls", store + "/web/prod/"}, &out), 0);
  EXPECT_EQ(out.find("web-2"), std::string::npos) << out;
}

}  // namespace
}  // namespace shoal::aws
