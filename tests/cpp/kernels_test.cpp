// The kernels against plain loops, without Python: every scores loss and the
// fused pass, float32 and float64, odd sizes (rows shorter than a vector, in
// lanes, in registers, in sweeps; few classes and many), every option.
// .ci/aarch64 builds it for aarch64 and runs it under emulation; natively:
//   tests/cpp/build.sh g++ x86_64 /tmp/kt && FASTLIN_CPU=avx2 /tmp/kt/kernels_test
// Prints each mismatch (the first of an array) and exits non-zero if any.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cpu_dispatch.hpp"
#include "linear_losses.hpp"
#include "scores_losses.hpp"

using namespace fastlin;

namespace {

int g_failures = 0, g_checks = 0;
std::mt19937_64 g_rng(12345);

double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(g_rng); }

template <class T>
std::vector<T> normal(int64_t n, double scale) {
    std::normal_distribution<double> d(0.0, scale);
    std::vector<T> v(static_cast<size_t>(n));
    for (auto& x : v) x = static_cast<T>(d(g_rng));
    return v;
}

template <class T>
double tolerance() {
    return sizeof(T) == 4 ? 2e-4 : 1e-10;
}

// |got - want| within tol relative to the largest |want| of the array (and
// at least 1): the gradients' entries are sums of terms of that size.
template <class T>
void expect_close(const std::string& what, const T* got, const std::vector<double>& want) {
    double scale = 1.0;
    for (double w : want) scale = std::max(scale, std::fabs(w));
    ++g_checks;
    for (size_t i = 0; i < want.size(); ++i) {
        const double g = static_cast<double>(got[i]);
        if (!(std::fabs(g - want[i]) <= tolerance<T>() * scale)) {
            std::printf("FAIL %s [%zu]: got %.17g, want %.17g\n", what.c_str(), i, g, want[i]);
            ++g_failures;
            return;
        }
    }
}

void expect_close_scalar(const std::string& what, double got, double want, double tol) {
    ++g_checks;
    if (std::isnan(got) && std::isnan(want)) return;
    if (!(std::fabs(got - want) <= tol * std::max(1.0, std::fabs(want)))) {
        std::printf("FAIL %s: got %.17g, want %.17g\n", what.c_str(), got, want);
        ++g_failures;
    }
}

// The reference: per-row loss and gradient in double, as the formulas say.
struct RowResult {
    double loss;
    std::vector<double> grad;
};

enum class Kind { softmax_hard, softmax_soft, svm_ww, svm_cs, squared };
const char* kind_name(Kind k) {
    switch (k) {
        case Kind::softmax_hard: return "softmax_hard";
        case Kind::softmax_soft: return "softmax_soft";
        case Kind::svm_ww: return "svm_weston_watkins";
        case Kind::svm_cs: return "svm_crammer_singer";
        default: return "squared";
    }
}

struct Case {
    Kind kind;
    bool class_weights = false, sample_weights = false, squared_hinge = false, ignore_some = false;
    double eps = 0.0, margin = 1.0;
    Reduction reduction = Reduction::mean;
};

std::vector<double> log_softmax(const std::vector<double>& s) {
    double m = -INFINITY;
    for (double x : s) m = std::max(m, x);
    double sum = 0.0;
    for (double x : s) sum += std::exp(x - m);
    std::vector<double> out(s.size());
    for (size_t c = 0; c < s.size(); ++c) out[c] = s[c] - m - std::log(sum);
    return out;
}

// Row i's unweighted-by-sample loss and gradient (class weights included).
template <class T>
RowResult reference_row(const Case& k, const std::vector<double>& s, int64_t y, const T* t,
                        const std::vector<double>& cw) {
    const int64_t C = static_cast<int64_t>(s.size());
    auto w = [&](int64_t c) { return cw.empty() ? 1.0 : cw[c]; };
    RowResult r{0.0, std::vector<double>(s.size(), 0.0)};
    if (k.kind == Kind::softmax_hard || k.kind == Kind::softmax_soft) {
        const std::vector<double> lp = log_softmax(s);
        std::vector<double> coef(C);  // the weight of -log p_c in the loss
        for (int64_t c = 0; c < C; ++c) {
            if (k.kind == Kind::softmax_hard)
                coef[c] = (c == y ? (1 - k.eps) * w(y) : 0.0) + k.eps / C * w(c);
            else
                coef[c] = w(c) * (t[c] * (1 - k.eps) + k.eps / C);
        }
        double total = 0.0;
        for (int64_t c = 0; c < C; ++c) {
            if (coef[c] != 0.0) r.loss -= coef[c] * lp[c];
            total += coef[c];
        }
        for (int64_t c = 0; c < C; ++c) r.grad[c] = std::exp(lp[c]) * total - coef[c];
    } else if (k.kind == Kind::svm_ww) {
        const double p = k.squared_hinge ? 2 : 1;
        for (int64_t j = 0; j < C; ++j) {
            if (j == y) continue;
            const double h = std::max(0.0, s[j] - s[y] + k.margin);
            r.loss += w(y) * std::pow(h, p);
            if (h > 0) {
                const double g = w(y) * (p == 2 ? 2 * h : 1.0);
                r.grad[j] += g;
                r.grad[y] -= g;
            }
        }
    } else if (k.kind == Kind::svm_cs) {
        int64_t jmax = -1;
        for (int64_t j = 0; j < C; ++j)
            if (j != y && (jmax < 0 || s[j] > s[jmax])) jmax = j;
        if (jmax >= 0) {
            const double h = std::max(0.0, k.margin + s[jmax] - s[y]);
            r.loss = w(y) * (k.squared_hinge ? h * h : h);
            if (h > 0) {
                const double g = w(y) * (k.squared_hinge ? 2 * h : 1.0);
                r.grad[jmax] += g;
                r.grad[y] -= g;
            }
        }
    } else {
        for (int64_t c = 0; c < C; ++c) {
            const double d = s[c] - t[c];
            r.loss += 0.5 * d * d;
            r.grad[c] = d;
        }
    }
    return r;
}

template <class T>
struct Inputs {
    int64_t N, C;
    std::vector<int64_t> y;
    std::vector<T> target;  // soft labels or squared targets (N, C)
    std::vector<double> cw, sw;
};

template <class T>
Inputs<T> make_inputs(const Case& k, int64_t N, int64_t C) {
    Inputs<T> in{N, C, std::vector<int64_t>(N), {}, {}, {}};
    for (auto& v : in.y) v = static_cast<int64_t>(g_rng() % static_cast<uint64_t>(C));
    if (k.ignore_some)
        for (int64_t i = 0; i < N; i += 3) in.y[i] = -100;
    if (k.kind == Kind::softmax_soft) {
        in.target.resize(N * C);
        for (int64_t i = 0; i < N; ++i) {
            double sum = 0.0;
            std::vector<double> row(C);
            for (auto& x : row) sum += (x = uniform(0.0, 1.0));
            for (int64_t c = 0; c < C; ++c) in.target[i * C + c] = static_cast<T>(row[c] / sum);
        }
    } else if (k.kind == Kind::squared) {
        in.target = normal<T>(N * C, 1.0);
    }
    if (k.class_weights) {
        in.cw.resize(C);
        for (auto& x : in.cw) x = uniform(0.2, 2.0);
    }
    if (k.sample_weights) {
        in.sw.resize(N);
        for (auto& x : in.sw) x = uniform(0.0, 3.0);
    }
    return in;
}

// The reference over a batch of scores S (N, C): the reduced loss and dS.
template <class T>
double reference_batch(const Case& k, const Inputs<T>& in, const std::vector<double>& S, std::vector<double>& dS,
                       std::vector<double>& row_loss) {
    const int64_t N = in.N, C = in.C;
    const bool labels = k.kind != Kind::softmax_soft && k.kind != Kind::squared;
    double denom = 0.0, total = 0.0;
    std::vector<RowResult> rows(N);
    for (int64_t i = 0; i < N; ++i) {
        const double sw = in.sw.empty() ? 1.0 : in.sw[i];
        const bool ignored = k.kind == Kind::softmax_hard && in.y[i] == -100;
        if (labels) {
            if (!ignored) denom += sw * (in.cw.empty() ? 1.0 : in.cw[in.y[i]]);
        } else {
            denom += sw;
        }
        if (ignored) {
            rows[i] = RowResult{0.0, std::vector<double>(C, 0.0)};
            continue;
        }
        std::vector<double> s(S.begin() + i * C, S.begin() + (i + 1) * C);
        rows[i] = reference_row(k, s, labels ? in.y[i] : 0, in.target.empty() ? nullptr : &in.target[i * C],
                                in.cw);
    }
    // The mean of no counted row (every label ignored): NaN, and a zero
    // gradient, as PyTorch gives.
    const bool nothing = k.reduction == Reduction::mean && denom == 0.0;
    const double scale = k.reduction == Reduction::mean ? (nothing ? 0.0 : 1.0 / denom) : 1.0;
    dS.assign(N * C, 0.0);
    row_loss.assign(N, 0.0);
    for (int64_t i = 0; i < N; ++i) {
        const double sw = in.sw.empty() ? 1.0 : in.sw[i];
        total += sw * rows[i].loss;
        row_loss[i] = sw * rows[i].loss;
        for (int64_t c = 0; c < C; ++c) dS[i * C + c] = sw * scale * rows[i].grad[c];
    }
    if (nothing) return std::nan("");
    return k.reduction == Reduction::mean ? total / denom : total;
}

template <class T>
double call_scores(const Case& k, const Inputs<T>& in, const ScoresBatch<T>& b) {
    RowWeights w{in.cw.empty() ? nullptr : in.cw.data(), in.sw.empty() ? nullptr : in.sw.data()};
    switch (k.kind) {
        case Kind::softmax_hard: return softmax_loss_hard<T>(b, in.y.data(), {w, -100, k.eps, k.reduction});
        case Kind::softmax_soft: return softmax_loss_soft<T>(b, in.target.data(), {w, -100, k.eps, k.reduction});
        case Kind::svm_ww:
            return svm_loss<T>(b, in.y.data(), {w, k.margin, k.squared_hinge, SvmVariant::weston_watkins, k.reduction});
        case Kind::svm_cs:
            return svm_loss<T>(b, in.y.data(), {w, k.margin, k.squared_hinge, SvmVariant::crammer_singer, k.reduction});
        default: return squared_loss<T>(b, in.target.data(), {w.sample_weight, k.reduction});
    }
}

template <class T>
double call_linear(const Case& k, const Inputs<T>& in, const LinearLossBatch<T>& a) {
    RowWeights w{in.cw.empty() ? nullptr : in.cw.data(), in.sw.empty() ? nullptr : in.sw.data()};
    switch (k.kind) {
        case Kind::softmax_hard: return linear_softmax_hard<T>(a, in.y.data(), {w, -100, k.eps, k.reduction});
        case Kind::softmax_soft: return linear_softmax_soft<T>(a, in.target.data(), {w, -100, k.eps, k.reduction});
        case Kind::svm_ww:
            return linear_svm<T>(a, in.y.data(), {w, k.margin, k.squared_hinge, SvmVariant::weston_watkins, k.reduction});
        case Kind::svm_cs:
            return linear_svm<T>(a, in.y.data(), {w, k.margin, k.squared_hinge, SvmVariant::crammer_singer, k.reduction});
        default: return linear_squared<T>(a, in.target.data(), {w.sample_weight, k.reduction});
    }
}

std::string describe(const Case& k, const char* dtype, int64_t N, int64_t D, int64_t C) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s %s N=%lld D=%lld C=%lld cw=%d sw=%d sq=%d ign=%d eps=%g red=%d",
                  kind_name(k.kind), dtype, (long long)N, (long long)D, (long long)C, k.class_weights,
                  k.sample_weights, k.squared_hinge, k.ignore_some, k.eps, static_cast<int>(k.reduction));
    return buf;
}

template <class T>
void check_scores(const Case& k, int64_t N, int64_t C) {
    const Inputs<T> in = make_inputs<T>(k, N, C);
    const std::vector<T> S = normal<T>(N * C, 3.0);
    std::vector<T> dS(N * C), row_loss(N);
    const ScoresBatch<T> b{S.data(), N, C, dS.data(), k.reduction == Reduction::none ? row_loss.data() : nullptr};
    const double got = call_scores(k, in, b);
    std::vector<double> Sd(S.begin(), S.end()), dS_want, rows_want;
    const double want = reference_batch(k, in, Sd, dS_want, rows_want);
    const std::string what = "scores " + describe(k, sizeof(T) == 4 ? "float32" : "float64", N, 0, C);
    expect_close_scalar(what + " loss", got, want, tolerance<T>());
    expect_close(what + " dS", dS.data(), dS_want);
    if (k.reduction == Reduction::none) expect_close(what + " row_loss", row_loss.data(), rows_want);
}

template <class T>
void check_linear(const Case& k, int64_t N, int64_t D, int64_t C, double reg) {
    const Inputs<T> in = make_inputs<T>(k, N, C);
    const std::vector<T> X = normal<T>(N * D, 1.0), W = normal<T>(C * D, 1.0 / std::sqrt(double(D))),
                         bias = normal<T>(C, 1.0);
    std::vector<T> dW(C * D), db(C), dX(N * D), row_loss(N);
    LinearLossBatch<T> a;
    a.X = X.data(), a.W = W.data(), a.b = bias.data(), a.N = N, a.D = D, a.C = C, a.reg = reg;
    a.dW = dW.data(), a.db = db.data(), a.dX = dX.data();
    a.row_loss = k.reduction == Reduction::none ? row_loss.data() : nullptr;
    const double got = call_linear(k, in, a);

    std::vector<double> S(N * C), G, rows_want;
    for (int64_t i = 0; i < N; ++i)
        for (int64_t c = 0; c < C; ++c) {
            double acc = bias[c];
            for (int64_t d = 0; d < D; ++d) acc += double(X[i * D + d]) * W[c * D + d];
            S[i * C + c] = acc;
        }
    double want = reference_batch(k, in, S, G, rows_want);
    std::vector<double> dW_want(C * D, 0.0), db_want(C, 0.0), dX_want(N * D, 0.0);
    double sum_sq = 0.0;
    for (int64_t c = 0; c < C; ++c)
        for (int64_t d = 0; d < D; ++d) {
            double acc = 0.0;
            for (int64_t i = 0; i < N; ++i) acc += G[i * C + c] * X[i * D + d];
            dW_want[c * D + d] = acc + 2 * reg * W[c * D + d];
            sum_sq += double(W[c * D + d]) * W[c * D + d];
        }
    for (int64_t i = 0; i < N; ++i)
        for (int64_t c = 0; c < C; ++c) db_want[c] += G[i * C + c];
    for (int64_t i = 0; i < N; ++i)
        for (int64_t d = 0; d < D; ++d) {
            double acc = 0.0;
            for (int64_t c = 0; c < C; ++c) acc += G[i * C + c] * W[c * D + d];
            dX_want[i * D + d] = acc;
        }
    if (k.reduction != Reduction::none) want += reg * sum_sq;
    const std::string what = "linear " + describe(k, sizeof(T) == 4 ? "float32" : "float64", N, D, C);
    // The products sum D or N terms in T: a looser bound in float32.
    const double tol = sizeof(T) == 4 ? 1e-3 : 1e-9;
    expect_close_scalar(what + " loss", got, want, tol);
    auto close = [&](const char* name, const T* p, const std::vector<double>& w) {
        double scale = 1.0;
        for (double v : w) scale = std::max(scale, std::fabs(v));
        ++g_checks;
        for (size_t i = 0; i < w.size(); ++i)
            if (!(std::fabs(double(p[i]) - w[i]) <= tol * scale)) {
                std::printf("FAIL %s %s [%zu]: got %.17g, want %.17g\n", what.c_str(), name, i, double(p[i]), w[i]);
                ++g_failures;
                return;
            }
    };
    close("dW", dW.data(), dW_want);
    close("db", db.data(), db_want);
    close("dX", dX.data(), dX_want);
    if (k.reduction == Reduction::none) close("row_loss", row_loss.data(), rows_want);
}

std::vector<Case> all_cases() {
    std::vector<Case> cases;
    for (Kind kind : {Kind::softmax_hard, Kind::softmax_soft, Kind::svm_ww, Kind::svm_cs, Kind::squared}) {
        cases.push_back({kind});
        Case weighted{kind};
        weighted.class_weights = kind != Kind::squared;
        weighted.sample_weights = true;
        weighted.reduction = Reduction::sum;
        cases.push_back(weighted);
        Case none{kind};
        none.reduction = Reduction::none;
        cases.push_back(none);
        if (kind == Kind::softmax_hard || kind == Kind::softmax_soft) {
            Case smooth{kind};
            smooth.eps = 0.1;
            smooth.class_weights = true;
            smooth.ignore_some = kind == Kind::softmax_hard;
            cases.push_back(smooth);
            Case ignored{kind};
            ignored.ignore_some = kind == Kind::softmax_hard;
            ignored.sample_weights = true;
            cases.push_back(ignored);
        }
        if (kind == Kind::svm_ww || kind == Kind::svm_cs) {
            Case sq{kind};
            sq.squared_hinge = true;
            sq.margin = 0.5;
            sq.class_weights = true;
            cases.push_back(sq);
        }
    }
    return cases;
}

template <class T>
void run_all() {
    // Rows shorter than a vector, one vector, in lanes (up to 3-5 vectors),
    // in registers, in sweeps; batches on one thread and on the pool.
    const int64_t scores_shapes[][2] = {{1, 1},   {3, 2},   {5, 3},   {37, 4},   {29, 5},  {64, 7},  {33, 8},
                                        {101, 12}, {47, 13}, {96, 20}, {31, 24}, {65, 33}, {17, 40}, {9, 100},
                                        {4, 1000}, {5000, 20}, {700, 97}};
    for (const Case& k : all_cases())
        for (const auto& sh : scores_shapes) check_scores<T>(k, sh[0], sh[1]);
    // The fused pass: one row, few classes (hand-written products), many
    // classes (BLAS), row groups and stripes (a dW beyond 16 MiB).
    const int64_t linear_shapes[][3] = {{1, 7, 3}, {9, 5, 2}, {50, 13, 20}, {300, 33, 10}, {130, 70, 50}, {77, 19, 24},
                                        {200, 9, 49}};
    for (const Case& k : all_cases())
        for (const auto& sh : linear_shapes) check_linear<T>(k, sh[0], sh[1], sh[2], 0.0);
    check_linear<T>(Case{Kind::softmax_hard}, 50, 13, 20, 0.01);
    const int64_t wide_C = sizeof(T) == 4 ? 2000 : 1100, wide_D = sizeof(T) == 4 ? 2100 : 2000;
    check_linear<T>(Case{Kind::softmax_hard}, 3, wide_D, wide_C, 0.0);
}

}  // namespace

int main() {
    std::printf("variant: %s\n", isa_name(active_isa()));
    run_all<float>();
    run_all<double>();
    std::printf("%d checks, %d failures\n", g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
