#include "adapters/sqlite/json_fields.h"

#include <cmath>
#include <limits>

namespace shoal::json_fields {

Result<const Json*> Member(const Json& obj, const std::string& path, std::string_view key) {
  if (!obj.is_object()) return Status::InvalidArgument((path.empty() ? "state" : path) + ": not an object");
  const auto it = obj.find(key);
  if (it == obj.end()) return Status::InvalidArgument(Join(path, key) + ": missing");
  return &*it;
}

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

Status ReadInt64(const Json& v, const std::string& path, std::int64_t* out) {
  if (!v.is_number_integer()) return Status::InvalidArgument(path + ": not an integer");
  // nlohmann keeps non-negative literals as unsigned; one above INT64_MAX
  // would wrap when read as signed.
  if (v.is_number_unsigned() &&
      v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return Status::InvalidArgument(path + ": out of range");
  }
  *out = v.get<std::int64_t>();
  return Status::Ok();
}

Status ReadInt(const Json& v, const std::string& path, int* out) {
  std::int64_t wide = 0;
  SHOAL_RETURN_IF_ERROR(ReadInt64(v, path, &wide));
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    return Status::InvalidArgument(path + ": out of range");
  }
  *out = static_cast<int>(wide);
  return Status::Ok();
}

Status ReadBool(const Json& v, const std::string& path, bool* out) {
  if (!v.is_boolean()) return Status::InvalidArgument(path + ": not true or false");
  *out = v.get<bool>();
  return Status::Ok();
}

Status ReadDouble(const Json& v, const std::string& path, double* out) {
  if (!v.is_number()) return Status::InvalidArgument(path + ": not a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) return Status::InvalidArgument(path + ": not finite");
  *out = d;
  return Status::Ok();
}

Status ReadString(const Json& v, const std::string& path, std::string* out) {
  if (!v.is_string()) return Status::InvalidArgument(path + ": not a string");
  *out = v.get<std::string>();
  return Status::Ok();
}

Status ReadArray(const Json& v, const std::string& path) {
  return v.is_array() ? Status::Ok() : Status::InvalidArgument(path + ": not an array");
}

Status ReadInstanceId(const Json& v, const std::string& path, InstanceId* out) {
  std::string text;
  SHOAL_RETURN_IF_ERROR(ReadString(v, path, &text));
  const std::optional<InstanceId> id = InstanceId::Parse(text);
  if (!id) return Status::InvalidArgument(path + ": '" + text + "' is not an instance id (1 to 63 letters, digits, ., _ or -)");
  *out = *id;
  return Status::Ok();
}

Status ReadOptionalId(const Json& v, const std::string& path, InstanceId* out) {
  if (v.is_null()) {
    *out = {};
    return Status::Ok();
  }
  return ReadInstanceId(v, path, out);
}

Status ReadObject(const Json& v, const std::string& path) {
  return v.is_object() ? Status::Ok() : Status::InvalidArgument(path + ": not an object");
}

}  // namespace shoal::json_fields
