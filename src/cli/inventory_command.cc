// Ansible's inventory-script contract: `--list` prints every group and, in
// _meta.hostvars, every host's variables (so Ansible never calls --host per
// host); `--host NAME` prints one host's variables, or {} for a host it does
// not know. JSON on stdout, exit 0; an unreachable daemon is an error (exit
// 1, the reason on stderr), which Ansible reports as a failed inventory.
#include "cli/inventory_command.h"

#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace shoal {
namespace {

struct InventoryArgs {
  ApiTarget target;
  bool list = false;
  std::string host;
};

int Inventory(const InventoryArgs& a) {
  Result<std::string> body = ApiGet(a.target, "/v1/inventory");
  if (!body.ok()) return Fail(body.status());
  const nlohmann::ordered_json inventory = nlohmann::ordered_json::parse(*body, nullptr, false);
  if (inventory.is_discarded() || !inventory.is_object()) {
    return Fail(Status::IoError("the daemon's /v1/inventory answer is not a JSON object"));
  }
  if (a.list) {
    std::cout << inventory.dump(2) << "\n";
    return 0;
  }
  const auto meta = inventory.find("_meta");
  if (meta != inventory.end() && meta->contains("hostvars") && (*meta)["hostvars"].contains(a.host)) {
    std::cout << (*meta)["hostvars"][a.host].dump(2) << "\n";
  } else {
    std::cout << "{}\n";
  }
  return 0;
}

}  // namespace

void AddInventoryCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<InventoryArgs>();
  CLI::App* c = app.add_subcommand(
      "inventory", "Ansible dynamic inventory of the serving instances (an inventory script: --list or --host NAME)");
  CLI::Option* list = c->add_flag("--list", args->list, "every group and host, with _meta.hostvars");
  CLI::Option* host = c->add_option("--host", args->host, "one host's variables ({} when there is no such host)");
  list->excludes(host);
  AddApiOptions(c, &args->target);
  c->callback([args, exit_code, list, host] {
    if (list->count() == 0 && host->count() == 0) {
      std::cerr << "error: give --list or --host NAME (Ansible's inventory-script contract)\n";
      *exit_code = 2;
      return;
    }
    *exit_code = Inventory(*args);
  });
}

}  // namespace shoal
