// Multi-process data-parallel training over libtorch's c10d Gloo process group: gradients are averaged
// across ranks after every backward pass. Rendezvous: env:// style (rank 0 serves a TCPStore at
// MASTER_ADDR:MASTER_PORT) or a shared file (FileStore).
#include "Bridge.hpp"

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>

struct td_group {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
    int32_t rank = 0, world = 1;
    std::vector<std::string> devices;  // every rank's Gloo device description, by rank
};

namespace td {
/// Averages `grads` across the group (one flattened all-reduce).
void allReduceMean(td_group *g, std::vector<torch::Tensor> &grads) {
    if (!g || g->world <= 1 || grads.empty()) return;
    std::vector<torch::Tensor> flat{torch::cat([&] {
        std::vector<torch::Tensor> views;
        for (auto &t : grads) views.push_back(t.reshape({-1}));
        return views;
    }())};
    g->group->allreduce(flat)->wait();
    flat[0].div_(static_cast<double>(g->world));
    int64_t offset = 0;
    for (auto &t : grads) {
        const auto n = t.numel();
        t.copy_(flat[0].narrow(0, offset, n).view_as(t));
        offset += n;
    }
}
} // namespace td

namespace {
/// This rank's Gloo device: bound to the interface `interface` when given (GLOO_SOCKET_IFNAME), else to
/// `address` (the address this host uses to reach the master, chosen by the caller).
std::shared_ptr<::gloo::transport::Device> makeDevice(const char *interface, const char *address) {
    if (interface && *interface) return c10d::ProcessGroupGloo::createDeviceForInterface(std::string(interface));
    return c10d::ProcessGroupGloo::createDeviceForHostname(std::string(address && *address ? address : "127.0.0.1"));
}

int32_t makeGroup(c10::intrusive_ptr<c10d::Store> store, int32_t rank, int32_t world, const char *interface,
                  const char *address, int64_t timeoutMs, td_group **out) {
    auto options = c10d::ProcessGroupGloo::Options::create();
    options->timeout = std::chrono::milliseconds(timeoutMs);
    options->devices.push_back(makeDevice(interface, address));
    auto g = std::make_unique<td_group>();
    g->store = store;
    g->group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);
    g->rank = rank;
    g->world = world;
    // Each rank publishes its device (it holds the address its peers dial), so that a failed collective,
    // whose message names the peer's address, can name the rank that was lost.
    const std::string mine = options->devices[0]->str();
    store->set("tinydistill/device/" + std::to_string(rank), std::vector<uint8_t>(mine.begin(), mine.end()));
    for (int32_t r = 0; r < world; ++r) {
        const auto value = store->get("tinydistill/device/" + std::to_string(r));
        g->devices.emplace_back(value.begin(), value.end());
    }
    *out = g.release();
    return TD_OK;
}
} // namespace

extern "C" {

int32_t td_group_create_tcp(const char *host, int32_t port, int32_t rank, int32_t world, const char *interface,
                            const char *address, int64_t timeout_ms, td_group **out) {
    return td::guarded([&]() -> int32_t {
        if (!host || !out || world < 1 || rank < 0 || rank >= world || port < 1 || port > 65535 || timeout_ms < 1)
            return td::fail(TD_ERR_INVALID_ARGUMENT, "process group: need 0 <= rank < world, a port in 1..65535 and a positive timeout");
        c10d::TCPStoreOptions opts;
        opts.port = static_cast<std::uint16_t>(port);
        opts.isServer = rank == 0;
        opts.numWorkers = static_cast<std::size_t>(world);
        opts.timeout = std::chrono::milliseconds(timeout_ms);
        return makeGroup(c10::make_intrusive<c10d::TCPStore>(std::string(host), opts), rank, world, interface, address,
                         timeout_ms, out);
    });
}

int32_t td_group_create_file(const char *path, int32_t rank, int32_t world, int64_t timeout_ms, td_group **out) {
    return td::guarded([&]() -> int32_t {
        if (!path || !out || world < 1 || rank < 0 || rank >= world || timeout_ms < 1)
            return td::fail(TD_ERR_INVALID_ARGUMENT, "process group: need 0 <= rank < world and a positive timeout");
        auto store = c10::make_intrusive<c10d::FileStore>(std::string(path), world);
        store->setTimeout(std::chrono::milliseconds(timeout_ms));
        return makeGroup(store, rank, world, nullptr, "127.0.0.1", timeout_ms, out);
    });
}

void td_group_free(td_group *group) { delete group; }

const char *td_group_device(const td_group *group, int32_t rank) {
    if (!group || rank < 0 || rank >= static_cast<int32_t>(group->devices.size())) return nullptr;
    return group->devices[static_cast<size_t>(rank)].c_str();
}

int32_t td_group_allreduce_mean(td_group *group, float *values, int64_t count) {
    return td::guarded([&]() -> int32_t {
        std::vector<torch::Tensor> t{torch::from_blob(values, {count}, torch::kFloat32).clone()};
        td::allReduceMean(group, t);
        std::memcpy(values, t[0].data_ptr<float>(), static_cast<size_t>(count) * sizeof(float));
        return TD_OK;
    });
}

int32_t td_group_barrier(td_group *group) {
    return td::guarded([&]() -> int32_t {
        if (group && group->world > 1) group->group->barrier()->wait();
        return TD_OK;
    });
}

} // extern "C"
