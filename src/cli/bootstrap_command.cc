#include "cli/bootstrap_command.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "adapters/blob/sha256.h"
#include "adapters/release/archive_extract.h"
#include "adapters/release/release_store.h"
#include "providers/release_store_open.h"

namespace shoal {
namespace {

namespace fs = std::filesystem;

struct BootstrapArgs {
  std::string store;
  std::string service;
  std::string env = "prod";
  std::uint64_t version = 0;
  std::string into;
  std::string cache;
};

// The cached tar of `manifest`, if one is there and still matches it (a
// cache is only ever written after a verified download, but a disk can lie).
bool CachedTarMatches(const std::string& path, const ReleaseManifest& manifest) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return false;
  Result<FileDigest> digest = Sha256OfFile(path);
  return digest.ok() && digest->sha256 == manifest.sha256 && digest->size == manifest.size;
}

// The verified tar of the release: from the cache, or downloaded (and put
// into the cache with a rename, so instances booting together never see
// half of one).
Result<std::string> VerifiedTar(ReleaseStore& releases, const ReleaseManifest& manifest, const BootstrapArgs& a,
                                bool* downloaded) {
  const std::string name = releases.layout().TarName(manifest.release.version);
  std::string dir = a.cache.empty() ? fs::path(a.into).parent_path().string() : a.cache + "/" + a.service + "/" + a.env;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  const std::string final_path = dir + "/" + name;
  if (!a.cache.empty() && CachedTarMatches(final_path, manifest)) return final_path;
  const std::string part = final_path + ".part-" + std::to_string(getpid());
  Status verified = releases.Verify(manifest, part);
  if (!verified.ok()) {
    fs::remove(part, ec);
    return verified;
  }
  fs::rename(part, final_path, ec);
  if (ec) {
    fs::remove(part, ec);
    return Status::IoError("cannot move the downloaded release to " + final_path + ": " + ec.message());
  }
  *downloaded = true;
  return final_path;
}

int Run(const BootstrapArgs& a) {
  const auto started = std::chrono::steady_clock::now();
  auto fail = [](const Status& s) {
    std::cerr << "shoal bootstrap: error: " << s.message() << "\n";
    return 1;
  };
  if (Status ok = ValidateName("service", a.service); !ok.ok()) return fail(ok);
  if (Status ok = ValidateName("--env", a.env); !ok.ok()) return fail(ok);
  std::error_code ec;
  if (fs::exists(a.into, ec)) {
    return fail(Status::InvalidArgument(a.into + " exists already: a release is unpacked into a new folder"));
  }
  Result<OpenedStore> opened = OpenStore(a.store, false);
  if (!opened.ok()) return fail(opened.status());
  ReleaseStore releases(opened->store.get(), ReleaseLayout{a.service, a.env});
  Result<ReleaseManifest> manifest = releases.Manifest(a.version);
  if (!manifest.ok()) return fail(manifest.status());
  bool downloaded = false;
  Result<std::string> tar = VerifiedTar(releases, *manifest, a, &downloaded);
  if (!tar.ok()) return fail(tar.status());
  fs::create_directories(fs::path(a.into).parent_path(), ec);
  if (ec) return fail(Status::IoError("cannot create the parent of " + a.into + ": " + ec.message()));
  Result<ArchiveSummary> unpacked = ExtractArchive(*tar, a.into, ArchiveLimits{});
  if (a.cache.empty()) fs::remove(*tar, ec);
  if (!unpacked.ok()) return fail(unpacked.status().WithContext("release " + std::to_string(a.version)));
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  std::cerr << "shoal bootstrap: " << a.service << " " << a.version << " (sha256 " << manifest->sha256.substr(0, 12)
            << ", " << manifest->size << " bytes, " << (downloaded ? "downloaded" : "from the cache") << ") unpacked into "
            << a.into << ": " << unpacked->entries << " entries in " << ms << " ms\n";
  return 0;
}

}  // namespace

void AddBootstrapCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<BootstrapArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bootstrap", "Fetch, verify and unpack one release into a new folder (an instance's first provision step)");
  cmd->add_option("--store", args->store, "file:///path or s3://bucket/prefix")->required();
  cmd->add_option("--service", args->service, "the service (the seed's MODULE)")->required();
  cmd->add_option("--env", args->env, "the environment folder of the store")->capture_default_str();
  cmd->add_option("--version", args->version, "the release's version number")
      ->required()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{999999999999999999ULL}));
  cmd->add_option("--into", args->into, "the folder to create and unpack into")->required();
  cmd->add_option("--cache", args->cache, "keep verified tars here, one per version, for the next instance");
  cmd->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace shoal
