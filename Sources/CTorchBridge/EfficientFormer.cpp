// EfficientFormer v1 (Li et al., NeurIPS 2022), block for block as the public reference implementation so
// its state dicts load unchanged: a Conv-BN-ReLU stem, Meta4D blocks (pooling token mixer pool(x) − x,
// Conv-BN MLP, layer scale), Conv-BN downsampling, Meta3D blocks in the last stage (LayerNorm,
// attention with relative-offset biases, LN-Linear MLP, layer scale), LayerNorm + head + dist_head.
#include "Bridge.hpp"

#include <cmath>
#include <map>
#include <stdexcept>

namespace {

using torch::Tensor;
using td::dropPath;
using td::halved;

/// 1×1-conv MLP with BatchNorm after each conv (the 4D blocks' MLP).
struct ConvMlpImpl : torch::nn::Module, td::Foldable {
    torch::nn::Conv2d fc1{nullptr}, fc2{nullptr};
    torch::nn::BatchNorm2d norm1{nullptr}, norm2{nullptr};
    td::ConvBNFold convBN1, convBN2;
    double drop;
    ConvMlpImpl(int64_t dim, int64_t hidden, double drop) : drop(drop) {
        fc1 = register_module("fc1", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, hidden, 1)));
        fc2 = register_module("fc2", torch::nn::Conv2d(torch::nn::Conv2dOptions(hidden, dim, 1)));
        norm1 = register_module("norm1", torch::nn::BatchNorm2d(hidden));
        norm2 = register_module("norm2", torch::nn::BatchNorm2d(dim));
        torch::NoGradGuard noGrad;
        for (auto *c : {fc1.get(), fc2.get()}) {
            c->weight.normal_(0.0, 0.02).clamp_(-2.0, 2.0);
            c->bias.zero_();
        }
        convBN1 = td::ConvBNFold(fc1, norm1);
        convBN2 = td::ConvBNFold(fc2, norm2);
    }
    Tensor forward(const Tensor &input) {
        auto x = torch::gelu(convBN1(input, is_training()));
        x = torch::dropout(x, drop, is_training());
        x = convBN2(x, is_training());
        return torch::dropout(x, drop, is_training());
    }
    void setFolded(bool on) override {
        convBN1.set(on);
        convBN2.set(on);
    }
};
TORCH_MODULE(ConvMlp);

/// Meta4D: x + ls1·(avgpool(x) − x), then x + ls2·MLP(x); NCHW throughout.
struct Meta4DImpl : torch::nn::Module {
    ConvMlp mlp{nullptr};
    Tensor layerScale1, layerScale2;
    int64_t pool;
    double dropPathRate;
    Meta4DImpl(int64_t dim, int64_t pool, double mlpRatio, double drop, double dropPathRate, double lsInit)
        : pool(pool), dropPathRate(dropPathRate) {
        mlp = register_module("mlp", ConvMlp(dim, static_cast<int64_t>(static_cast<double>(dim) * mlpRatio), drop));
        layerScale1 = register_parameter("layer_scale_1", torch::full({dim}, lsInit));
        layerScale2 = register_parameter("layer_scale_2", torch::full({dim}, lsInit));
    }
    Tensor forward(Tensor x) {
        auto mixed = torch::avg_pool2d(x, pool, 1, pool / 2, /*ceil_mode=*/false, /*count_include_pad=*/false) - x;
        x = x + dropPath(layerScale1.view({1, -1, 1, 1}) * mixed, dropPathRate, is_training());
        return x + dropPath(layerScale2.view({1, -1, 1, 1}) * mlp(x), dropPathRate, is_training());
    }
};
TORCH_MODULE(Meta4D);

/// Multi-head attention over all tokens (key dim 32, 8 heads, values 4×32 per head), with a learned bias
/// per head and relative offset on a resolution×resolution grid (the LeViT scheme; persistent index).
struct EFAttentionImpl : torch::nn::Module, td::Foldable {
    int64_t heads = 8, keyDim = 32, valueDim = 128;
    double scale;
    torch::nn::Linear qkv{nullptr}, proj{nullptr};
    Tensor attentionBiases, biasIndex;
    Tensor gatheredBias;  // fused eval: heads x N x N, gathered once
    EFAttentionImpl(int64_t dim, int64_t resolution) : scale(std::pow(32.0, -0.5)) {
        qkv = register_module("qkv", torch::nn::Linear(dim, heads * (2 * keyDim + valueDim)));
        proj = register_module("proj", torch::nn::Linear(heads * valueDim, dim));
        const int64_t points = resolution * resolution;
        std::map<std::pair<int64_t, int64_t>, int64_t> offsets;
        std::vector<int64_t> ids;
        for (int64_t a = 0; a < points; a++) {
            for (int64_t b = 0; b < points; b++) {
                const auto key = std::make_pair(std::abs(a / resolution - b / resolution), std::abs(a % resolution - b % resolution));
                auto it = offsets.find(key);
                if (it == offsets.end()) it = offsets.emplace(key, static_cast<int64_t>(offsets.size())).first;
                ids.push_back(it->second);
            }
        }
        attentionBiases = register_parameter("attention_biases", torch::zeros({heads, static_cast<int64_t>(offsets.size())}));
        biasIndex = register_buffer("attention_bias_idxs", torch::tensor(ids, torch::kLong).view({points, points}));
    }
    Tensor forward(const Tensor &x) {
        const auto B = x.size(0), N = x.size(1);
        auto parts = qkv(x).reshape({B, N, heads, -1}).permute({0, 2, 1, 3}).split_with_sizes({keyDim, keyDim, valueDim}, 3);
        auto bias = gatheredBias.defined() && !is_training()
                        ? gatheredBias
                        : attentionBiases.index_select(1, biasIndex.view({-1})).view({heads, N, N});
        auto attn = (parts[0].matmul(parts[1].transpose(-2, -1)) * scale + bias).softmax(-1);
        return proj(attn.matmul(parts[2]).transpose(1, 2).reshape({B, N, heads * valueDim}));
    }
    void setFolded(bool on) override {
        const auto n = biasIndex.size(0);
        gatheredBias = on ? attentionBiases.index_select(1, biasIndex.view({-1})).view({heads, n, n}).detach().contiguous()
                          : Tensor();
    }
};
TORCH_MODULE(EFAttention);

/// Meta3D on tokens (B, N, C): x + ls1·Attn(LN(x)), then x + ls2·MLP(LN(x)).
struct Meta3DImpl : torch::nn::Module {
    torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
    EFAttention tokenMixer{nullptr};
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
    std::shared_ptr<torch::nn::Module> mlp;
    Tensor layerScale1, layerScale2;
    double drop, dropPathRate;
    Meta3DImpl(int64_t dim, int64_t resolution, double mlpRatio, double drop, double dropPathRate, double lsInit)
        : drop(drop), dropPathRate(dropPathRate) {
        norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
        tokenMixer = register_module("token_mixer", EFAttention(dim, resolution));
        norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
        mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
        const auto hidden = static_cast<int64_t>(static_cast<double>(dim) * mlpRatio);
        fc1 = mlp->register_module("fc1", torch::nn::Linear(dim, hidden));
        fc2 = mlp->register_module("fc2", torch::nn::Linear(hidden, dim));
        layerScale1 = register_parameter("layer_scale_1", torch::full({dim}, lsInit));
        layerScale2 = register_parameter("layer_scale_2", torch::full({dim}, lsInit));
    }
    Tensor forward(Tensor x) {
        x = x + dropPath(layerScale1.view({1, 1, -1}) * tokenMixer(norm1(x)), dropPathRate, is_training());
        auto h = torch::dropout(torch::gelu(fc1(norm2(x))), drop, is_training());
        h = torch::dropout(fc2(h), drop, is_training());
        return x + dropPath(layerScale2.view({1, 1, -1}) * h, dropPathRate, is_training());
    }
};
TORCH_MODULE(Meta3D);

/// Stride-2 3×3 Conv (with bias) + BatchNorm between stages ("proj", "norm").
struct EmbeddingImpl : torch::nn::Module, td::Foldable {
    torch::nn::Conv2d proj{nullptr};
    torch::nn::BatchNorm2d norm{nullptr};
    td::ConvBNFold convBN;
    EmbeddingImpl(int64_t in, int64_t out) {
        proj = register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(2).padding(1)));
        norm = register_module("norm", torch::nn::BatchNorm2d(out));
        convBN = td::ConvBNFold(proj, norm);
    }
    Tensor forward(const Tensor &x) { return convBN(x, is_training()); }
    void setFolded(bool on) override { convBN.set(on); }
};
TORCH_MODULE(Embedding);

struct EfficientFormerImpl : torch::nn::Module, td::Foldable {
    torch::nn::Sequential patchEmbed{nullptr};
    td::ConvBNFold stem1, stem2;  // the stem's two Conv-BN pairs (patch_embed.0/1 and .3/4)
    std::vector<std::function<Tensor(const Tensor &)>> steps;
    torch::nn::LayerNorm norm{nullptr};
    torch::nn::Linear head{nullptr}, distHead{nullptr};

    explicit EfficientFormerImpl(const td_efficientformer_config &c) {
        const int64_t e0 = c.embed_dims[0];
        auto conv = [](int64_t i, int64_t o) { return torch::nn::Conv2d(torch::nn::Conv2dOptions(i, o, 3).stride(2).padding(1)); };
        patchEmbed = register_module("patch_embed", torch::nn::Sequential(conv(c.in_chans, e0 / 2), torch::nn::BatchNorm2d(e0 / 2),
                                                                           torch::nn::ReLU(), conv(e0 / 2, e0), torch::nn::BatchNorm2d(e0),
                                                                           torch::nn::ReLU()));
        stem1 = td::ConvBNFold(td::sequentialItem<torch::nn::Conv2d>(patchEmbed, 0),
                               td::sequentialItem<torch::nn::BatchNorm2d>(patchEmbed, 1));
        stem2 = td::ConvBNFold(td::sequentialItem<torch::nn::Conv2d>(patchEmbed, 3),
                               td::sequentialItem<torch::nn::BatchNorm2d>(patchEmbed, 4));
        int64_t res = halved(halved(c.img_size));
        for (int i = 0; i + 1 < 4; i++)
            if (c.downsamples[i] || c.embed_dims[i] != c.embed_dims[i + 1]) res = halved(res);
        const int64_t total = c.layers[0] + c.layers[1] + c.layers[2] + c.layers[3];
        auto network = register_module("network", torch::nn::ModuleList());
        int64_t before = 0;
        for (int i = 0; i < 4; i++) {
            auto stage = std::make_shared<torch::nn::Sequential>();
            auto seq = torch::nn::Sequential();
            const int64_t dim = c.embed_dims[i], n = c.layers[i];
            if (i == 3 && c.vit_num == n) {
                seq->push_back(torch::nn::Flatten(torch::nn::FlattenOptions().start_dim(2)));
                steps.emplace_back([](const Tensor &x) { return x.flatten(2).transpose(1, 2); });
            }
            for (int64_t b = 0; b < n; b++) {
                const double dpr = total > 1 ? c.drop_path_rate * static_cast<double>(b + before) / static_cast<double>(total - 1) : 0.0;
                if (i == 3 && n - b <= c.vit_num) {
                    auto block = Meta3D(dim, res, c.mlp_ratio, c.drop_rate, dpr, c.layer_scale_init_value);
                    seq->push_back(block);
                    steps.emplace_back([block](const Tensor &x) mutable { return block->forward(x); });
                } else {
                    auto block = Meta4D(dim, c.pool_size, c.mlp_ratio, c.drop_rate, dpr, c.layer_scale_init_value);
                    seq->push_back(block);
                    steps.emplace_back([block](const Tensor &x) mutable { return block->forward(x); });
                    if (i == 3 && n - b - 1 == c.vit_num) {
                        seq->push_back(torch::nn::Flatten(torch::nn::FlattenOptions().start_dim(2)));
                        steps.emplace_back([](const Tensor &x) { return x.flatten(2).transpose(1, 2); });
                    }
                }
            }
            before += n;
            network->push_back(seq);
            if (i == 3) break;
            if (c.downsamples[i] || c.embed_dims[i] != c.embed_dims[i + 1]) {
                auto emb = Embedding(dim, c.embed_dims[i + 1]);
                network->push_back(emb);
                steps.emplace_back([emb](const Tensor &x) mutable { return emb->forward(x); });
            }
        }
        const int64_t last = c.embed_dims[3];
        norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({last})));
        head = register_module("head", torch::nn::Linear(last, c.num_classes));
        if (c.distillation) distHead = register_module("dist_head", torch::nn::Linear(last, c.num_classes));
        torch::NoGradGuard noGrad;
        for (auto &m : modules(false)) {
            if (auto *linear = m->as<torch::nn::Linear>()) {
                linear->weight.normal_(0.0, 0.02).clamp_(-2.0, 2.0);
                linear->bias.zero_();
            }
        }
    }

    void setFolded(bool on) override {
        stem1.set(on);
        stem2.set(on);
    }
    Tensor forward(const Tensor &input) {
        auto x = torch::relu(stem2(torch::relu(stem1(input, is_training())), is_training()));
        for (auto &step : steps) x = step(x);
        if (x.dim() == 4) x = x.flatten(2).transpose(1, 2);  // vit_num 0: no 3D blocks
        x = norm(x).mean(-2);
        if (!distHead) return head(x);
        // Eval: the mean of the two heads, as the reference. Training also uses the mean here, so one
        // soft target trains both heads through it.
        return (head(x) + distHead(x)) / 2.0;
    }
};

void validate(const td_efficientformer_config &c) {
    auto bad = [](const std::string &m) { throw std::invalid_argument("EfficientFormer config: " + m); };
    if (c.in_chans < 1 || c.num_classes < 1) bad("in_chans and num_classes must be positive");
    if (c.img_size < 32) bad("img_size must be at least 32");
    for (int i = 0; i < 4; i++) {
        if (c.layers[i] < 1) bad("every stage needs at least one block (layers[" + std::to_string(i) + "])");
        if (c.embed_dims[i] < 2) bad("embed_dims must be at least 2");
    }
    if (c.embed_dims[0] % 2 != 0) bad("embed_dims[0] must be even (the stem halves it)");
    if (c.vit_num < 0 || c.vit_num > c.layers[3]) bad("vit_num must be in 0…layers[3]");
    if (c.pool_size < 1 || c.pool_size % 2 == 0) bad("pool_size must be odd");
    if (c.mlp_ratio <= 0) bad("mlp_ratio must be positive");
    if (c.drop_path_rate < 0 || c.drop_path_rate >= 1 || c.drop_rate < 0 || c.drop_rate >= 1) bad("drop rates must be in [0, 1)");
}

} // namespace

extern "C" int32_t td_efficientformer_create(const td_efficientformer_config *config, uint64_t seed, td_model **out) {
    return td::guarded([&]() -> int32_t {
        if (!config || !out) return td::fail(TD_ERR_INVALID_ARGUMENT, "td_efficientformer_create: null argument");
        validate(*config);
        *out = td::makeModel<EfficientFormerImpl>("efficientformer", *config, seed, config->num_classes);
        return TD_OK;
    });
}
