// A torchvision-compatible ResNet (He et al. 2016; v1.5: stride in the 3x3 conv of the bottleneck), so a
// teacher can come from a different family than the student. Parameter names are torchvision's.
#include "Bridge.hpp"

#include <stdexcept>

namespace {

using torch::Tensor;

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t ks, int64_t stride, int64_t pad) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, ks).stride(stride).padding(pad).bias(false));
}

/// BasicBlock (expansion 1) or Bottleneck (expansion 4), with an optional projection shortcut.
struct ResBlockImpl : torch::nn::Module, td::Foldable {
    bool bottleneck;
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    torch::nn::Sequential downsample{nullptr};
    td::ConvBNFold cbn1, cbn2, cbn3, cbnDown;  // conv1/bn1, …, downsample.0/1

    ResBlockImpl(bool bottleneck, int64_t inplanes, int64_t planes, int64_t stride) : bottleneck(bottleneck) {
        const int64_t expansion = bottleneck ? 4 : 1;
        if (bottleneck) {
            conv1 = register_module("conv1", conv(inplanes, planes, 1, 1, 0));
            bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
            conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1));
            bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
            conv3 = register_module("conv3", conv(planes, planes * expansion, 1, 1, 0));
            bn3 = register_module("bn3", torch::nn::BatchNorm2d(planes * expansion));
        } else {
            conv1 = register_module("conv1", conv(inplanes, planes, 3, stride, 1));
            bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
            conv2 = register_module("conv2", conv(planes, planes, 3, 1, 1));
            bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
        }
        if (stride != 1 || inplanes != planes * expansion) {
            downsample = register_module("downsample", torch::nn::Sequential(conv(inplanes, planes * expansion, 1, stride, 0),
                                                                              torch::nn::BatchNorm2d(planes * expansion)));
            cbnDown = td::ConvBNFold(td::sequentialItem<torch::nn::Conv2d>(downsample, 0),
                                     td::sequentialItem<torch::nn::BatchNorm2d>(downsample, 1));
        }
        cbn1 = td::ConvBNFold(conv1, bn1);
        cbn2 = td::ConvBNFold(conv2, bn2);
        if (bottleneck) cbn3 = td::ConvBNFold(conv3, bn3);
    }

    void setFolded(bool on) override {
        cbn1.set(on);
        cbn2.set(on);
        if (bottleneck) cbn3.set(on);
        if (downsample) cbnDown.set(on);
    }

    Tensor forward(const Tensor &input) {
        const bool t = is_training();
        auto x = torch::relu(cbn1(input, t));
        x = bottleneck ? cbn3(torch::relu(cbn2(x, t)), t) : cbn2(x, t);
        auto identity = downsample ? cbnDown(input, t) : input;
        return torch::relu(x + identity);
    }
};
TORCH_MODULE(ResBlock);

struct ResNetImpl : torch::nn::Module, td::Foldable {
    bool smallInput;
    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    td::ConvBNFold stem;  // conv1/bn1
    std::vector<std::vector<ResBlock>> stages;
    torch::nn::Linear fc{nullptr};

    explicit ResNetImpl(const td_resnet_config &c) : smallInput(c.small_input != 0) {
        const int64_t base = c.base_width;
        conv1 = register_module("conv1", smallInput ? conv(c.in_chans, base, 3, 1, 1) : conv(c.in_chans, base, 7, 2, 3));
        bn1 = register_module("bn1", torch::nn::BatchNorm2d(base));
        int64_t inplanes = base;
        const int64_t expansion = c.bottleneck ? 4 : 1;
        for (int s = 0; s < 4; s++) {
            auto layer = register_module("layer" + std::to_string(s + 1), torch::nn::Sequential());
            std::vector<ResBlock> blocks;
            const int64_t planes = base << s;
            for (int b = 0; b < c.layers[s]; b++) {
                auto block = ResBlock(c.bottleneck != 0, inplanes, planes, (b == 0 && s > 0) ? 2 : 1);
                inplanes = planes * expansion;
                layer->push_back(block);
                blocks.push_back(block);
            }
            stages.push_back(blocks);
        }
        fc = register_module("fc", torch::nn::Linear(inplanes, c.num_classes));
        stem = td::ConvBNFold(conv1, bn1);

        // torchvision's init: Kaiming-normal (fan_out, ReLU) convolutions, BatchNorm 1 and 0.
        torch::NoGradGuard noGrad;
        for (auto &m : modules(false)) {
            if (auto *cv = m->as<torch::nn::Conv2d>()) {
                torch::nn::init::kaiming_normal_(cv->weight, 0.0, torch::kFanOut, torch::kReLU);
            } else if (auto *bn = m->as<torch::nn::BatchNorm2d>()) {
                bn->weight.fill_(1.0);
                bn->bias.zero_();
            }
        }
    }

    void setFolded(bool on) override { stem.set(on); }

    Tensor forward(const Tensor &input) {
        auto x = torch::relu(stem(input, is_training()));
        if (!smallInput) x = torch::max_pool2d(x, 3, 2, 1);
        for (auto &blocks : stages)
            for (auto &block : blocks) x = block(x);
        x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
        return fc(x);
    }
};

} // namespace

extern "C" int32_t td_resnet_create(const td_resnet_config *config, uint64_t seed, td_model **out) {
    return td::guarded([&]() -> int32_t {
        if (!config || !out) return td::fail(TD_ERR_INVALID_ARGUMENT, "td_resnet_create: null argument");
        if (config->in_chans < 1 || config->num_classes < 1 || config->base_width < 1)
            return td::fail(TD_ERR_INVALID_ARGUMENT, "ResNet config: in_chans, num_classes and base_width must be positive");
        for (int s = 0; s < 4; s++)
            if (config->layers[s] < 1)
                return td::fail(TD_ERR_INVALID_ARGUMENT, "ResNet config: every stage needs at least one block");
        *out = td::makeModel<ResNetImpl>("resnet", *config, seed, config->num_classes);
        return TD_OK;
    });
}
