// Reading an enum back from the name its ToString gives it, so each enum
// keeps one table of names (ToString's switch, checked for exhaustiveness by
// -Wswitch) and every Parse is the same loop.
#pragma once

#include <initializer_list>
#include <string_view>

namespace shoal {

// ASCII only, like the names it compares.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

enum class NameCase { kExact, kIgnore };

// Sets *out to the value of `values` whose ToString is `text`; false (and
// *out untouched) when none is.
template <typename E>
bool ParseEnumName(std::string_view text, std::initializer_list<E> values, E* out,
                   NameCase name_case = NameCase::kExact) {
  for (E v : values) {
    const std::string_view name = ToString(v);
    if (name_case == NameCase::kExact ? name == text : EqualsIgnoreCase(name, text)) {
      *out = v;
      return true;
    }
  }
  return false;
}

}  // namespace shoal
