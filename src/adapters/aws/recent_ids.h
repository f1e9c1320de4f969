// The ids seen most recently, up to a fixed count: how a reader of an
// at-least-once queue recognises a message (or an event) it has already
// handled. Memory is bounded: past `capacity` ids, the oldest is forgotten.
// Not thread-safe (its owner locks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace shoal::aws {

class RecentIds {
 public:
  explicit RecentIds(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  bool Contains(std::string_view id) const { return seq_.count(std::string(id)) > 0; }
  // Remembers `id` (as the newest); false if it was already remembered.
  bool Insert(std::string_view id);
  // Forgets `id`, so it is new again.
  void Erase(std::string_view id) { seq_.erase(std::string(id)); }
  std::size_t size() const { return seq_.size(); }

 private:
  void EvictOldest();

  std::size_t capacity_;
  std::uint64_t next_ = 0;
  std::unordered_map<std::string, std::uint64_t> seq_;  // id -> when it was inserted
  // Insertion order; an entry whose number no longer matches seq_ was erased (or re-inserted) since.
  std::deque<std::pair<std::string, std::uint64_t>> order_;
};

}  // namespace shoal::aws
