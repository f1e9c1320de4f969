// Reading AWS's XML answers (EC2, ELBv2, CloudWatch, SQS query protocol,
// S3) through pugixml. Element names are matched literally: AWS puts its
// namespace on the root as a default namespace, so there are no prefixes.
// pugixml expands no DTD or external entities, so a hostile answer cannot
// make the parser read files or blow up.
//
//   auto doc = XmlDocument::Parse(body);
//   for (XmlNode item : doc->Root().All("reservationSet/item/instancesSet/item"))
//     id = item.Text("instanceId");
//
// Nodes point into their document and must not outlive it. A missing node
// is an empty XmlNode: every accessor on it answers "" or nothing, so
// chains need no checks.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "core/status.h"

namespace shoal::aws {

class XmlNode {
 public:
  XmlNode() = default;
  explicit XmlNode(pugi::xml_node node) : node_(node) {}

  explicit operator bool() const { return static_cast<bool>(node_); }
  std::string Name() const { return node_.name(); }

  // The first child element called `name`.
  XmlNode Child(std::string_view name) const;
  // Every child element called `name`, in order.
  std::vector<XmlNode> Children(std::string_view name) const;
  // The first element down a '/'-separated path of child names ("a/b/c").
  XmlNode Find(std::string_view path) const;
  // Every element down the path: each step takes all matching children of
  // all the nodes the step before found.
  std::vector<XmlNode> All(std::string_view path) const;

  // The node's text (its first text child), "" when there is none.
  std::string Text() const;
  // Find(path).Text()
  std::string Text(std::string_view path) const { return Find(path).Text(); }

 private:
  pugi::xml_node node_;
};

class XmlDocument {
 public:
  // Parses `text`; a malformed document is an error saying where it breaks.
  static Result<XmlDocument> Parse(std::string_view text);

  // The document element (the one top-level element).
  XmlNode Root() const;

 private:
  std::unique_ptr<pugi::xml_document> doc_;
};

}  // namespace shoal::aws
