// Typed, exception-free reads of JSON values for the group state codec. A
// stored state is read back after crashes, upgrades and hand edits, so every
// failure is a Status naming the field's path (e.g. "instances[2].pool")
// instead of an exception escaping into the daemon.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "core/instance.h"
#include "core/status.h"

namespace shoal::json_fields {

using Json = nlohmann::json;

// The member `key` of the object `obj` (whose own path is `path`, empty at the
// root), or InvalidArgument naming the missing field.
Result<const Json*> Member(const Json& obj, const std::string& path, std::string_view key);

// "path.key" (or "key" at the root): the name errors give a member.
std::string Join(const std::string& path, std::string_view key);
// "path[i]": the name errors give an array element.
std::string Index(const std::string& path, std::size_t i);

Status ReadInt64(const Json& v, const std::string& path, std::int64_t* out);
Status ReadInt(const Json& v, const std::string& path, int* out);
Status ReadBool(const Json& v, const std::string& path, bool* out);
Status ReadDouble(const Json& v, const std::string& path, double* out);  // finite only
Status ReadString(const Json& v, const std::string& path, std::string* out);
Status ReadArray(const Json& v, const std::string& path);  // only checks the type

// An instance id (InstanceId::Parse).
Status ReadInstanceId(const Json& v, const std::string& path, InstanceId* out);
// An instance id, or null for none.
Status ReadOptionalId(const Json& v, const std::string& path, InstanceId* out);
// Only checks that `v` is an object.
Status ReadObject(const Json& v, const std::string& path);

// Reads the member `key` of `obj` (at `path`) with `read(value, path, out)`.
template <typename T, typename ReadFn>
Status ReadMember(const Json& obj, const std::string& path, std::string_view key, ReadFn read, T* out) {
  Result<const Json*> v = Member(obj, path, key);
  if (!v.ok()) return v.status();
  return read(**v, Join(path, key), out);
}

// An enum written by its ToString name; `all` lists every value.
template <typename Enum>
Status ReadEnum(const Json& v, const std::string& path, std::span<const Enum> all, Enum* out) {
  std::string text;
  SHOAL_RETURN_IF_ERROR(ReadString(v, path, &text));
  for (Enum e : all) {
    if (ToString(e) == text) {
      *out = e;
      return Status::Ok();
    }
  }
  return Status::InvalidArgument(path + ": unknown value '" + text + "'");
}

}  // namespace shoal::json_fields
