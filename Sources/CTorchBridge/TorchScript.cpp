// Teachers exported by users with torch.jit.save: loaded without Python and without unpickling code.
#include "Bridge.hpp"

#include <torch/script.h>

extern "C" int32_t td_torchscript_load(const char *path, td_model **out) {
    return td::guarded([&]() -> int32_t {
        if (!path || !out) return td::fail(TD_ERR_INVALID_ARGUMENT, "td_torchscript_load: null argument");
        auto module = std::make_shared<torch::jit::Module>(torch::jit::load(path, torch::kCPU));
        module->eval();
        auto model = std::make_unique<td_model>();
        model->kind = "torchscript";
        model->keepAlive = module;
        model->run = [module](const torch::Tensor &x) {
            auto result = module->forward({x});
            if (result.isTuple()) return result.toTuple()->elements().at(0).toTensor();
            return result.toTensor();
        };
        model->setTraining = [module](bool on) { module->train(on); };
        for (const auto &p : module->named_parameters(true)) model->state.push_back({p.name, p.value, true});
        for (const auto &b : module->named_buffers(true)) model->state.push_back({b.name, b.value, false});
        *out = model.release();
        return TD_OK;
    });
}
