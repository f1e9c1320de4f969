// Fault points for tests of the real daemon (FoundationDB's BUGGIFY, by
// hand): armed only by an environment variable a test sets, logged loudly
// when armed, and absent otherwise.
//
//   SHOAL_FAULT_KILL_AFTER_LAUNCH=N  the daemon SIGKILLs itself right after
//                                    the Nth launch call returns, before the
//                                    state that records its instance is
//                                    written: the crash adoption must survive.
#pragma once

#include <memory>

#include "ports/cloud.h"
#include "ports/log.h"

namespace shoal {

// `cloud` itself when no fault point is armed, else a decorator around it
// (kept in `holder`).
Cloud* ArmCloudFaultPoints(Cloud* cloud, std::unique_ptr<Cloud>* holder, Logger* log);

}  // namespace shoal
