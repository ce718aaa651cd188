// The sparse KD loss of TinyViT, AdamW with the reference's decay rules, and one optimisation step.
#include "Bridge.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace {

using torch::Tensor;

struct LossParts {
    Tensor total, kd, label;
};

/// Soft-target cross-entropy against the dense target that (indices, values) stand for, without building it
/// when T == 1: -(sum_topk v*logp + fill * (sum_all logp - sum_topk logp)), fill = (1 - sum v) / (C - k).
Tensor sparseKD(const Tensor &logits, const Tensor &indices, const Tensor &values, double temperature) {
    const auto C = logits.size(1);
    const auto k = indices.size(1);
    auto logp = torch::log_softmax(logits / temperature, 1);
    auto fill = k < C ? ((1.0 - values.sum(1, true)) / static_cast<double>(C - k)).clamp_min(0.0)
                      : torch::zeros({logits.size(0), 1}, logits.options());
    if (temperature == 1.0) {
        auto picked = logp.gather(1, indices);
        auto rest = logp.sum(1, true) - picked.sum(1, true);
        return -((values * picked).sum(1, true) + fill * rest).mean();
    }
    // Temperature: soften the teacher's dense distribution the same way (p^(1/T), renormalised) and scale
    // by T^2 so gradients keep their magnitude (Hinton et al.).
    auto target = fill.expand({logits.size(0), C}).clone().scatter_(1, indices, values.clamp_min(0.0));
    auto tempered = torch::softmax(torch::log(target) / temperature, 1);
    return -(tempered * logp).sum(1).mean() * (temperature * temperature);
}

LossParts computeLoss(const Tensor &logits, const Tensor &indices, const Tensor &values, const Tensor &labels,
                      const td_loss_config &cfg) {
    LossParts parts;
    const bool useKD = cfg.alpha > 0.0;
    const bool useLabels = cfg.alpha < 1.0;
    parts.kd = useKD ? sparseKD(logits, indices, values, cfg.temperature) : torch::zeros({}, logits.options());
    if (useLabels) {
        namespace F = torch::nn::functional;
        parts.label = F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().label_smoothing(cfg.label_smoothing));
    } else {
        parts.label = torch::zeros({}, logits.options());
    }
    parts.total = parts.kd * cfg.alpha + parts.label * (1.0 - cfg.alpha);
    return parts;
}

void checkLossConfig(const td_loss_config &cfg, int64_t k, int64_t C, bool haveLabels) {
    if (!(cfg.temperature > 0.0)) throw std::invalid_argument("temperature must be positive");
    if (cfg.alpha < 0.0 || cfg.alpha > 1.0) throw std::invalid_argument("alpha must be in [0, 1]");
    if (cfg.label_smoothing < 0.0 || cfg.label_smoothing >= 1.0)
        throw std::invalid_argument("label_smoothing must be in [0, 1)");
    if (cfg.alpha > 0.0 && (k < 1 || k > C))
        throw std::invalid_argument("k = " + std::to_string(k) + " must be in 1..classes (" + std::to_string(C) + ")");
    if (cfg.alpha < 1.0 && !haveLabels) throw std::invalid_argument("alpha < 1 mixes in label cross-entropy: labels are required");
}

/// Sparse targets as tensors (copied; indices checked against C).
void targetTensors(const int32_t *indices, const float *values, int64_t n, int64_t k, int64_t C, Tensor &idx,
                   Tensor &val) {
    if (k == 0 || !indices || !values) {
        idx = torch::zeros({n, 1}, torch::kLong);
        val = torch::zeros({n, 1}, torch::kFloat32);
        return;
    }
    idx = torch::from_blob(const_cast<int32_t *>(indices), {n, k}, torch::kInt32).to(torch::kLong);
    val = torch::from_blob(const_cast<float *>(values), {n, k}, torch::kFloat32).clone();
    if (idx.min().item<int64_t>() < 0 || idx.max().item<int64_t>() >= C)
        throw std::invalid_argument("a target class index is outside 0.." + std::to_string(C - 1));
}

Tensor labelTensor(const int64_t *labels, int64_t n, int64_t C) {
    if (!labels) return Tensor();
    auto t = torch::from_blob(const_cast<int64_t *>(labels), {n}, torch::kLong).clone();
    if (t.min().item<int64_t>() < 0 || t.max().item<int64_t>() >= C)
        throw std::invalid_argument("a label is outside 0.." + std::to_string(C - 1));
    return t;
}

} // namespace

namespace td { void allReduceMean(td_group *g, std::vector<torch::Tensor> &grads); }

struct td_trainer {
    td_model *model;
    td_group *group = nullptr;              // gradient averaging across processes
    td_train_config config;
    std::vector<td::StateEntry> params;      // trainable parameters
    std::vector<double> lrScales;
    std::vector<bool> decays;
    std::vector<td::StateEntry> state;       // "step", "exp_avg.*", "exp_avg_sq.*"
    Tensor step;                             // int64 scalar
    std::vector<Tensor> expAvg, expAvgSq;
};

extern "C" {

int32_t td_sparse_kd_loss(const float *logits, int64_t n, int64_t num_classes, const int32_t *indices,
                          const float *values, int64_t k, const int64_t *labels, const td_loss_config *config,
                          double *loss, float *grad) {
    return td::guarded([&]() -> int32_t {
        if (!logits || !config || !loss || n < 1 || num_classes < 1)
            return td::fail(TD_ERR_INVALID_ARGUMENT, "td_sparse_kd_loss: bad arguments");
        checkLossConfig(*config, k, num_classes, labels != nullptr);
        Tensor idx, val;
        targetTensors(indices, values, n, k, num_classes, idx, val);
        auto lab = labelTensor(labels, n, num_classes);
        auto x = torch::from_blob(const_cast<float *>(logits), {n, num_classes}, torch::kFloat32).clone();
        x.set_requires_grad(true);
        auto parts = computeLoss(x, idx, val, lab, *config);
        *loss = parts.total.item<double>();
        if (grad) {
            parts.total.backward();
            std::memcpy(grad, x.grad().contiguous().data_ptr<float>(), static_cast<size_t>(n * num_classes) * sizeof(float));
        }
        return TD_OK;
    });
}

int32_t td_trainer_create(td_model *model, const td_train_config *config, td_trainer **out) {
    return td::guarded([&]() -> int32_t {
        if (!model || !config || !out) return td::fail(TD_ERR_INVALID_ARGUMENT, "td_trainer_create: null argument");
        if (!model->module)
            return td::fail(TD_ERR_UNSUPPORTED, "only built-in architectures can be trained (not TorchScript)");
        if (config->beta1 < 0 || config->beta1 >= 1 || config->beta2 < 0 || config->beta2 >= 1 || config->eps <= 0)
            return td::fail(TD_ERR_INVALID_ARGUMENT, "AdamW: betas must be in [0, 1) and eps positive");
        if (config->weight_decay < 0 || config->clip_grad_norm < 0 || config->layer_lr_decay <= 0 ||
            config->layer_lr_decay > 1)
            return td::fail(TD_ERR_INVALID_ARGUMENT,
                            "weight_decay and clip_grad_norm must be >= 0, layer_lr_decay in (0, 1]");
        auto t = std::make_unique<td_trainer>();
        t->model = model;
        t->config = *config;
        t->step = torch::zeros({}, torch::kLong);
        t->state.push_back({"step", t->step, false});
        for (const auto &e : model->state) {
            if (!e.isParameter) continue;
            t->params.push_back(e);
            const bool oneD = e.tensor.dim() <= 1;
            const bool isBias = e.name.size() >= 5 && e.name.compare(e.name.size() - 5, 5, ".bias") == 0;
            const bool isAttnBias = e.name.find("attention_biases") != std::string::npos;
            t->decays.push_back(!(oneD || isBias || isAttnBias));
            t->lrScales.push_back(model->kind == "tinyvit" ? td::tinyViTLRScale(e.name, model->depths, config->layer_lr_decay)
                                                           : 1.0);
            auto m = torch::zeros_like(e.tensor);
            auto v = torch::zeros_like(e.tensor);
            t->expAvg.push_back(m);
            t->expAvgSq.push_back(v);
        }
        for (size_t i = 0; i < t->params.size(); i++) t->state.push_back({"exp_avg." + t->params[i].name, t->expAvg[i], false});
        for (size_t i = 0; i < t->params.size(); i++)
            t->state.push_back({"exp_avg_sq." + t->params[i].name, t->expAvgSq[i], false});
        *out = t.release();
        return TD_OK;
    });
}

void td_trainer_free(td_trainer *trainer) { delete trainer; }

int32_t td_trainer_step(td_trainer *t, const float *input, int64_t n, int64_t c, int64_t h, int64_t w,
                        const int32_t *indices, const float *values, int64_t k, const int64_t *labels, double lr,
                        uint64_t rng_seed, td_step_result *result) {
    return td::guarded([&]() -> int32_t {
        if (n < 1 || c < 1 || h < 1 || w < 1) return td::fail(TD_ERR_INVALID_ARGUMENT, "step: empty batch");
        if (!(lr >= 0.0)) return td::fail(TD_ERR_INVALID_ARGUMENT, "step: learning rate must be >= 0");
        const auto C = t->model->numClasses;
        const auto &cfg = t->config;
        checkLossConfig(cfg.loss, k, C, labels != nullptr);
        Tensor idx, val;
        targetTensors(indices, values, n, k, C, idx, val);
        auto lab = labelTensor(labels, n, C);

        t->model->setTraining(true);
        // The generator lock covers seeding and the draws of drop path (forward); it is released before
        // the gradient all-reduce so ranks living in one process cannot deadlock.
        std::unique_lock<std::mutex> lock(td::generatorMutex());
        torch::manual_seed(rng_seed);
        for (auto &p : t->params) p.tensor.mutable_grad() = Tensor();
        auto x = torch::from_blob(const_cast<float *>(input), {n, c, h, w}, torch::kFloat32);
        auto logits = t->model->run(x);
        auto parts = computeLoss(logits, idx, val, lab, cfg.loss);
        lock.unlock();
        if (!std::isfinite(parts.total.item<double>()))
            return td::fail(TD_ERR_INVALID_ARGUMENT, "step: the loss is not finite (diverged? lower the learning rate)");
        parts.total.backward();

        std::vector<Tensor> grads;
        for (auto &p : t->params) {
            // Every rank must reduce the same list: parameters without a gradient get zeros.
            if (!p.tensor.grad().defined() && t->group) p.tensor.mutable_grad() = torch::zeros_like(p.tensor);
            if (p.tensor.grad().defined()) grads.push_back(p.tensor.grad());
        }
        if (t->group) {
            torch::NoGradGuard noGrad;
            td::allReduceMean(t->group, grads);
        }
        double norm = 0.0;
        {
            torch::NoGradGuard noGrad;
            Tensor sq = torch::zeros({}, torch::kFloat64);
            for (auto &g : grads) sq += g.to(torch::kFloat64).pow(2).sum();
            norm = std::sqrt(sq.item<double>());
            if (cfg.clip_grad_norm > 0.0 && norm > cfg.clip_grad_norm) {
                const double coef = cfg.clip_grad_norm / (norm + 1e-6);
                for (auto &g : grads) g.mul_(coef);
            }

            t->step.add_(1);
            const double stepCount = static_cast<double>(t->step.item<int64_t>());
            const double bc1 = 1.0 - std::pow(cfg.beta1, stepCount);
            const double bc2 = 1.0 - std::pow(cfg.beta2, stepCount);
            for (size_t i = 0; i < t->params.size(); i++) {
                auto &p = t->params[i].tensor;
                const auto &g = p.grad();
                if (!g.defined()) continue;
                const double lrP = lr * t->lrScales[i];
                if (t->decays[i] && cfg.weight_decay > 0.0) p.mul_(1.0 - lrP * cfg.weight_decay);
                t->expAvg[i].mul_(cfg.beta1).add_(g, 1.0 - cfg.beta1);
                t->expAvgSq[i].mul_(cfg.beta2).addcmul_(g, g, 1.0 - cfg.beta2);
                auto denom = (t->expAvgSq[i].sqrt() / std::sqrt(bc2)).add_(cfg.eps);
                p.addcdiv_(t->expAvg[i], denom, -lrP / bc1);
            }
        }
        if (result) {
            result->loss = parts.total.item<double>();
            result->kd_loss = parts.kd.item<double>();
            result->label_loss = parts.label.item<double>();
            result->grad_norm = norm;
            result->correct = lab.defined() ? logits.argmax(1).eq(lab).sum().item<int64_t>() : 0;
        }
        return TD_OK;
    });
}

int32_t td_trainer_gradients(td_trainer *t, const float *input, int64_t n, int64_t c, int64_t h, int64_t w,
                             const int32_t *indices, const float *values, int64_t k, const int64_t *labels,
                             uint64_t rng_seed, double *loss) {
    return td::guarded([&]() -> int32_t {
        if (n < 1 || c < 1 || h < 1 || w < 1) return td::fail(TD_ERR_INVALID_ARGUMENT, "gradients: empty batch");
        const auto C = t->model->numClasses;
        checkLossConfig(t->config.loss, k, C, labels != nullptr);
        Tensor idx, val;
        targetTensors(indices, values, n, k, C, idx, val);
        auto lab = labelTensor(labels, n, C);
        std::lock_guard<std::mutex> lock(td::generatorMutex());
        torch::manual_seed(rng_seed);
        for (auto &p : t->params) p.tensor.mutable_grad() = Tensor();
        auto x = torch::from_blob(const_cast<float *>(input), {n, c, h, w}, torch::kFloat32);
        auto parts = computeLoss(t->model->run(x), idx, val, lab, t->config.loss);
        parts.total.backward();
        if (loss) *loss = parts.total.item<double>();
        return TD_OK;
    });
}

int32_t td_trainer_gradient_read(const td_trainer *t, const char *name, float *dst, int64_t count) {
    return td::guarded([&]() -> int32_t {
        const auto i = td::findEntry(t->params, name);
        if (i < 0) return td::fail(TD_ERR_NOT_FOUND, std::string("no parameter '") + name + "'");
        const auto &p = t->params[static_cast<size_t>(i)].tensor;
        if (p.numel() != count) return td::fail(TD_ERR_INVALID_ARGUMENT, std::string("gradient '") + name + "': size mismatch");
        if (!p.grad().defined()) {
            std::fill(dst, dst + count, 0.0f);
        } else {
            auto g = p.grad().to(torch::kFloat32).contiguous();
            std::memcpy(dst, g.data_ptr<float>(), static_cast<size_t>(count) * sizeof(float));
        }
        return TD_OK;
    });
}

int32_t td_trainer_set_group(td_trainer *t, td_group *group) {
    t->group = group;
    return TD_OK;
}

int64_t td_trainer_state_count(const td_trainer *t) { return static_cast<int64_t>(t->state.size()); }

int32_t td_trainer_state_info(const td_trainer *t, int64_t index, const char **name, int32_t *dtype, int32_t *ndim,
                              int64_t *shape) {
    return td::guarded([&]() -> int32_t {
        if (index < 0 || index >= static_cast<int64_t>(t->state.size()))
            return td::fail(TD_ERR_NOT_FOUND, "optimiser state index out of range");
        td::describeEntry(t->state[static_cast<size_t>(index)], name, dtype, ndim, shape);
        return TD_OK;
    });
}

int32_t td_trainer_state_read(const td_trainer *t, const char *name, void *dst, int64_t nbytes) {
    return td::guarded([&]() -> int32_t {
        const auto i = td::findEntry(t->state, name);
        if (i < 0) return td::fail(TD_ERR_NOT_FOUND, std::string("the optimiser has no state '") + name + "'");
        auto tensor = t->state[static_cast<size_t>(i)].tensor.contiguous();
        const auto size = static_cast<int64_t>(tensor.numel() * tensor.element_size());
        if (size != nbytes) return td::fail(TD_ERR_INVALID_ARGUMENT, std::string("optimiser state '") + name + "': size mismatch");
        std::memcpy(dst, tensor.data_ptr(), static_cast<size_t>(size));
        return TD_OK;
    });
}

int32_t td_trainer_state_write(td_trainer *t, const char *name, int32_t dtype, int32_t ndim, const int64_t *shape,
                               const void *src) {
    return td::guarded([&]() -> int32_t {
        const auto i = td::findEntry(t->state, name);
        if (i < 0) return td::fail(TD_ERR_NOT_FOUND, std::string("the optimiser has no state '") + name + "'");
        td::writeEntry(t->state[static_cast<size_t>(i)], dtype, ndim, shape, src);
        return TD_OK;
    });
}

double td_trainer_lr_scale(const td_trainer *t, const char *name) {
    const auto i = td::findEntry(t->params, name);
    return i < 0 ? 0.0 : t->lrScales[static_cast<size_t>(i)];
}

int32_t td_trainer_decays(const td_trainer *t, const char *name) {
    const auto i = td::findEntry(t->params, name);
    return i < 0 ? 0 : (t->decays[static_cast<size_t>(i)] ? 1 : 0);
}

} // extern "C"
