// The floor of one compiled SGD step on one image (D = 3072, C = 20 float32,
// softmax, momentum 0.9), without Python: how fast a step could be if it
// were one C++ call, on one core or split over two by classes (a spinning
// second thread, no pool, no argument checks). The report's "SGD step"
// (python -m fastlin.bench --only sgd) is the fused pass into dW_out plus the
// momentum update, two calls from Python.
//
//   g++ -O3 -march=native -mprefer-vector-width=512 -std=c++17 -pthread
//       benches/one_image_step_floor.cpp -o /tmp/step_floor && /tmp/step_floor
// (one command line)
//
// (-mprefer-vector-width=512 on x86-64 with AVX-512, where GCC otherwise keeps
// the loops at 256 bits; drop it elsewhere.)
//
// Each step reads W for the scores, then reads W and the velocity and writes
// both (plain SGD: reads and writes W only): the figures show what that
// traffic costs here. GCC vector extensions; x86-64 or aarch64.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

constexpr int D = 3072, C = 20, kImages = 64, kSteps = 4000, kWarmup = 500;

struct Step {
    float* W;
    float* V;
    const float* x;
    int y;
    float lr, mu, reg;
    float s[C];
    std::atomic<int> scored{0};
};

typedef float Vec16 __attribute__((vector_size(64)));  // 16 floats (a zmm with AVX-512)

Vec16 load(const float* p) {
    Vec16 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

float dot(const float* w, const float* x) {  // four vectors of partial sums
    Vec16 a0 = {}, a1 = {}, a2 = {}, a3 = {};
    for (int k = 0; k < D; k += 64) {
        a0 += load(w + k) * load(x + k);
        a1 += load(w + k + 16) * load(x + k + 16);
        a2 += load(w + k + 32) * load(x + k + 32);
        a3 += load(w + k + 48) * load(x + k + 48);
    }
    const Vec16 a = (a0 + a1) + (a2 + a3);
    float s = 0.0f;
    for (int j = 0; j < 16; ++j) s += a[j];
    return s;
}

void scores(Step& st, int c0, int c1) {
    for (int c = c0; c < c1; ++c) st.s[c] = dot(st.W + size_t(c) * D, st.x);
}

void gradient(const Step& st, float* g) {  // softmax(s) - onehot(y)
    const float m = *std::max_element(st.s, st.s + C);
    double z = 0.0;
    for (int c = 0; c < C; ++c) z += std::exp(double(st.s[c] - m));
    for (int c = 0; c < C; ++c) g[c] = float(std::exp(double(st.s[c] - m)) / z) - (c == st.y);
}

void plain_update(Step& st, const float* g) {  // W -= lr * grad: no velocity
    for (int c = 0; c < C; ++c) {
        float* __restrict w = st.W + size_t(c) * D;
        for (int k = 0; k < D; ++k) w[k] -= st.lr * (g[c] * st.x[k] + 2.0f * st.reg * w[k]);
    }
}

void update(Step& st, const float* g, int c0, int c1) {
    for (int c = c0; c < c1; ++c) {
        float* __restrict w = st.W + size_t(c) * D;
        float* __restrict v = st.V + size_t(c) * D;
        const float* __restrict x = st.x;
        for (int k = 0; k < D; ++k) {
            const float grad = g[c] * x[k] + 2.0f * st.reg * w[k];
            const float vk = st.mu * v[k] + grad;
            v[k] = vk;
            w[k] -= st.lr * vk;
        }
    }
}

std::atomic<long> generation{0};
std::atomic<int> finished{0};
std::atomic<bool> stop{false};
Step* current = nullptr;

void second_core() {  // the upper half of the classes
    long seen = 0;
    while (!stop.load(std::memory_order_relaxed)) {
        if (generation.load(std::memory_order_acquire) == seen) continue;
        seen = generation.load(std::memory_order_acquire);
        Step& st = *current;
        scores(st, C / 2, C);
        st.scored.fetch_add(1, std::memory_order_acq_rel);
        while (st.scored.load(std::memory_order_acquire) < 2) {}
        float g[C];
        gradient(st, g);
        update(st, g, C / 2, C);
        finished.store(1, std::memory_order_release);
    }
}

double median_us(std::vector<double> t) {
    std::sort(t.begin() + kWarmup, t.end());
    return t[kWarmup + (t.size() - kWarmup) / 2];
}

}  // namespace

int main() {
    std::vector<float> W(size_t(C) * D), V(size_t(C) * D, 0.0f), X(size_t(kImages) * D);
    unsigned state = 1;
    auto uniform = [&] {
        state = state * 1664525u + 1013904223u;
        return float(int(state >> 9) % 2000 - 1000) / 1000.0f;
    };
    for (float& w : W) w = 0.01f * uniform();
    for (float& x : X) x = uniform();
    const char* names[] = {"one core, momentum 0.9", "two cores, momentum 0.9",
                           "one core, plain SGD (momentum 0)"};
    for (int mode = 0; mode < 3; ++mode) {
        std::thread helper;
        if (mode == 1) helper = std::thread(second_core);
        std::vector<double> times;
        for (int i = 0; i < kSteps; ++i) {
            const float* x = X.data() + size_t(i % kImages) * D;
            const float mu = mode == 2 ? 0.0f : 0.9f;
            Step st{W.data(), V.data(), x, i % C, 1e-4f, mu, 1e-5f, {}};
            const auto start = std::chrono::steady_clock::now();
            if (mode == 1) {
                finished.store(0);
                current = &st;
                generation.fetch_add(1, std::memory_order_release);
                scores(st, 0, C / 2);
                st.scored.fetch_add(1, std::memory_order_acq_rel);
                while (st.scored.load(std::memory_order_acquire) < 2) {}
                float g[C];
                gradient(st, g);
                update(st, g, 0, C / 2);
                while (!finished.load(std::memory_order_acquire)) {}
            } else {
                scores(st, 0, C);
                float g[C];
                gradient(st, g);
                if (mode == 2)
                    plain_update(st, g);
                else
                    update(st, g, 0, C);
            }
            const auto end = std::chrono::steady_clock::now();
            times.push_back(std::chrono::duration<double, std::micro>(end - start).count());
        }
        if (mode == 1) {
            stop = true;
            helper.join();
        }
        std::printf("%-34s median %.2f us a step\n", names[mode], median_us(times));
    }
}
