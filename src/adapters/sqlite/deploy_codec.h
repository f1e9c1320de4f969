// A group's deploy as JSON inside the stored group state, read back with
// every field checked (a deploy resumes after a restart from exactly this).
#pragma once

#include <string>

#include "adapters/sqlite/json_fields.h"
#include "adapters/sqlite/json_writer.h"
#include "core/deploy.h"

namespace shoal {

void EncodeDeploy(JsonWriter& w, const DeployState& d);
Status DecodeDeploy(const json_fields::Json& v, const std::string& path, DeployState* d);

}  // namespace shoal
