// DiffConfigs walks the schema table (schema.h) over the rendered values of
// both configs, so every key a reader accepts is compared.
#include "adapters/config/config_json.h"

#include <string>

#include "adapters/config/schema.h"

namespace shoal {
namespace {

using config_internal::Json;
using config_internal::KeyKind;
using config_internal::KeyShape;
using config_internal::MapShape;

std::string Show(const Json& v) { return v.is_null() ? "(none)" : v.dump(); }

void Changed(const std::string& path, const KeyShape& key, const Json& a, const Json& b,
             std::vector<std::string>* out) {
  std::string line = "~ " + path + ": " + Show(a) + " -> " + Show(b);
  if (!key.note.empty()) line += " (" + std::string(key.note) + ")";
  out->push_back(std::move(line));
}

void DiffMap(const std::string& path, const MapShape& map, const Json& a, const Json& b,
             std::vector<std::string>* out);

// Items of a named list: matched by name, so reordering changes nothing.
void DiffNamed(const std::string& path, const MapShape& item, const Json& a, const Json& b,
               std::vector<std::string>* out) {
  for (const auto& [name, v] : a.items()) {
    if (!b.contains(name)) {
      out->push_back("- " + path + "." + name);
    } else {
      DiffMap(path + "." + name, item, v, b.at(name), out);
    }
  }
  for (const auto& [name, v] : b.items()) {
    if (!a.contains(name)) out->push_back("+ " + path + "." + name + " = " + v.dump());
  }
}

void DiffKey(const std::string& path, const KeyShape& key, const Json& a, const Json& b,
             std::vector<std::string>* out) {
  switch (key.kind) {
    case KeyKind::kValue:
      if (a != b) Changed(path, key, a, b, out);
      return;
    case KeyKind::kSection:
      DiffMap(path, *key.nested, a, b, out);
      return;
    case KeyKind::kNamedList:
      DiffNamed(path, *key.nested, a, b, out);
      return;
    case KeyKind::kList:
      if (a.size() != b.size()) {
        if (a != b) Changed(path, key, a, b, out);
        return;
      }
      for (std::size_t i = 0; i < a.size(); ++i) {
        DiffMap(path + "[" + std::to_string(i) + "]", *key.nested, a.at(i), b.at(i), out);
      }
      return;
  }
}

// A key only one side renders belongs to one policy type only (a policy
// whose type changed): it is listed as removed or added.
void DiffMap(const std::string& path, const MapShape& map, const Json& a, const Json& b,
             std::vector<std::string>* out) {
  for (const KeyShape& key : map.keys) {
    const std::string name(key.name);
    const std::string key_path = path + "." + name;
    const bool in_a = a.contains(name);
    const bool in_b = b.contains(name);
    if (in_a && in_b) {
      DiffKey(key_path, key, a.at(name), b.at(name), out);
    } else if (in_a) {
      out->push_back("- " + key_path);
    } else if (in_b) {
      out->push_back("+ " + key_path + " = " + b.at(name).dump());
    }
  }
}

void DiffGroups(const Config& running, const Config& next, std::vector<std::string>* out) {
  const config_internal::SpecMap<GroupSpec>& group = config_internal::GroupMap();
  for (const GroupSpec& g : running.groups) {
    const int n = next.FindGroup(g.name);
    if (n < 0) {
      out->push_back("- group " + g.name + " (its instances will be terminated)");
    } else {
      DiffMap("group " + g.name, group.shape(), group.Render(g), group.Render(next.groups[n]), out);
    }
  }
  for (const GroupSpec& g : next.groups) {
    if (running.FindGroup(g.name) < 0) {
      out->push_back("+ group " + g.name + " (min " + std::to_string(g.min) + ", max " + std::to_string(g.max) + ")");
    }
  }
}

}  // namespace

std::vector<std::string> DiffConfigs(const Config& running, const Config& next) {
  std::vector<std::string> out;
  const config_internal::SpecMap<Config>& top = config_internal::TopMap();
  const Json a = top.Render(running);
  const Json b = top.Render(next);
  for (const KeyShape& key : top.shape().keys) {
    const std::string name(key.name);
    if (name == "groups") {
      DiffGroups(running, next, &out);  // its own lines: "+ group x (min, max)", "- group x (...)"
    } else {
      DiffKey(name, key, a.at(name), b.at(name), &out);
    }
  }
  return out;
}

}  // namespace shoal
