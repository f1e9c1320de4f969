// The git side of `shoal release promote`: an annotated tag at the
// release's commit, replaced if it exists, pushed where the repository has
// a remote (as the seed's promote job did). git runs as a child process
// with an argv (never a shell), no terminal prompt, and a timeout.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace shoal {

struct GitRun {
  int exit_code = -1;  // -1: killed at the timeout or could not start
  std::string output;  // stdout and stderr, at most 64 KiB
};

Result<GitRun> RunGit(const std::string& repo, const std::vector<std::string>& args, int timeout_seconds);

// A name git accepts as refs/tags/<name> (git check-ref-format) that does not start with '-'.
Status ValidateTagName(const std::string& repo, const std::string& tag);
// The commit is in the repository.
Status CheckCommit(const std::string& repo, const std::string& commit);

struct TagOutcome {
  std::string remote;  // "" when the repository has none: not pushed
};

// git tag -f -a <tag> -m <message> <commit>, then git push --force <remote>
// refs/tags/<tag> (the remote "origin", else the first one).
Result<TagOutcome> TagAndPush(const std::string& repo, const std::string& tag, const std::string& commit,
                              const std::string& message);

}  // namespace shoal
