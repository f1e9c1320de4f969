#include "adapters/release/publish.h"

#include <sys/stat.h>

#include "adapters/blob/sha256.h"
#include "adapters/data/iso_time.h"
#include "adapters/release/archive_pack.h"
#include "adapters/release/release_store.h"

namespace shoal {
namespace {

Status ValidateRequest(const PublishRequest& r) {
  SHOAL_RETURN_IF_ERROR(ValidateName("service", r.layout.service));
  SHOAL_RETURN_IF_ERROR(ValidateName("--env", r.layout.env));
  SHOAL_RETURN_IF_ERROR(ValidateBuild(r.build));
  SHOAL_RETURN_IF_ERROR(ValidateGitCommit(r.git_commit));
  return ValidateBranch(r.branch);
}

}  // namespace

Result<PublishResult> PublishRelease(BlobStore* store, const PublishRequest& request) {
  SHOAL_RETURN_IF_ERROR(ValidateRequest(request));
  struct stat st {};
  if (::stat(request.source.c_str(), &st) != 0) {
    return Status::InvalidArgument("--from " + request.source + ": no such folder or tar");
  }
  const bool folder = S_ISDIR(st.st_mode);
  if (!folder && !S_ISREG(st.st_mode)) return Status::InvalidArgument("--from " + request.source + " is neither a folder nor a tar");
  auto checked = folder ? CheckFolder(request.source, request.limits) : CheckArchive(request.source, request.limits);
  if (!checked.ok()) return checked.status().WithContext("refused, nothing was published");

  ReleaseStore releases(store, request.layout);
  const std::string timestamp = FormatIsoUtc(request.now);
  auto version = releases.ClaimVersion(request.claimant, timestamp);
  if (!version.ok()) return version.status().WithContext("claiming a version in " + store->Url());

  PublishResult result;
  ReleaseFile& release = result.manifest.release;
  release = ReleaseFile{request.layout.service, *version, request.build, request.git_commit, timestamp};
  const std::vector<ExtraFile> extras{{"RELEASE", FormatReleaseFile(release), request.now}};
  const std::string tar = request.work_dir + "/" + request.layout.TarName(*version);
  auto packed = folder ? PackFolder(request.source, extras, tar, request.limits)
                       : RepackArchive(request.source, extras, tar, request.limits);
  const std::string gap = "version " + std::to_string(*version) + " stays unused";
  if (!packed.ok()) return packed.status().WithContext("packing (" + gap + ")");
  result.summary = *packed;
  auto digest = Sha256OfFile(tar);
  if (!digest.ok()) return digest.status().WithContext(gap);
  if (digest->size > kMaxBlobBytes) {
    return Status::InvalidArgument("the packed tar is " + std::to_string(digest->size) + " bytes, over the store's 2 GiB (" +
                                   gap + ")");
  }
  result.manifest.env = request.layout.env;
  result.manifest.branch = request.branch;
  result.manifest.sha256 = digest->sha256;
  result.manifest.size = digest->size;
  SHOAL_RETURN_IF_ERROR(releases.Upload(tar, result.manifest).WithContext("uploading release " + std::to_string(*version)));
  SHOAL_RETURN_IF_ERROR(releases.AdvanceLatest(release, &result.latest_moved)
                            .WithContext("release " + std::to_string(*version) + " is stored but latest.txt was not moved"));
  return result;
}

}  // namespace shoal
