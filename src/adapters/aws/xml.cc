#include "adapters/aws/xml.h"

namespace shoal::aws {
namespace {

// Splits "a/b/c" into its non-empty names.
std::vector<std::string> Steps(std::string_view path) {
  std::vector<std::string> steps;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) steps.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return steps;
}

}  // namespace

XmlNode XmlNode::Child(std::string_view name) const {
  return XmlNode(node_.child(std::string(name).c_str()));
}

std::vector<XmlNode> XmlNode::Children(std::string_view name) const {
  std::vector<XmlNode> out;
  const std::string wanted(name);
  for (pugi::xml_node child : node_.children(wanted.c_str())) out.emplace_back(child);
  return out;
}

XmlNode XmlNode::Find(std::string_view path) const {
  pugi::xml_node node = node_;
  for (const std::string& step : Steps(path)) node = node.child(step.c_str());
  return XmlNode(node);
}

std::vector<XmlNode> XmlNode::All(std::string_view path) const {
  std::vector<XmlNode> current{*this};
  for (const std::string& step : Steps(path)) {
    std::vector<XmlNode> next;
    for (const XmlNode& node : current) {
      for (pugi::xml_node child : node.node_.children(step.c_str())) next.emplace_back(child);
    }
    current = std::move(next);
  }
  if (!*this) current.clear();
  return current;
}

std::string XmlNode::Text() const { return node_.text().as_string(); }

Result<XmlDocument> XmlDocument::Parse(std::string_view text) {
  XmlDocument document;
  document.doc_ = std::make_unique<pugi::xml_document>();
  const pugi::xml_parse_result result =
      document.doc_->load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!result) {
    return Status::InvalidArgument("malformed XML at byte " + std::to_string(result.offset) + ": " +
                                   result.description());
  }
  if (!document.doc_->document_element()) return Status::InvalidArgument("malformed XML: no document element");
  return document;
}

XmlNode XmlDocument::Root() const { return doc_ ? XmlNode(doc_->document_element()) : XmlNode(); }

}  // namespace shoal::aws
