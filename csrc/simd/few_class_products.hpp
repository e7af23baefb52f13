// The matrix products of the fused pass when there are few classes (C =
// 20), written out here instead of BLAS calls per block of rows:
//
//   scores  S_blk = X_blk W^T + b, which also copies X_blk into panels,
//   dW     (+)= G_blk^T X_blk, which reads those panels, and
//   dX_blk  = G_blk W (when asked for), from W in panels of features.
//
// Why: with C = 20 the BLAS packs X_blk once for each product and its
// kernels, tuned for large square products, run far from peak on these
// shapes. Here X_blk is read from memory once, by the scores, whose register
// tile copies it into the panel layout on the way; the dW product then reads
// it contiguously from cache, with no other copy (tuning notes: "Products of
// few classes", with what was tried and dropped).
//
// The dW and dX products run one register tile: kTileRows rows of kTileVectors
// vectors (with AVX2, 4 rows: 12 accumulators, 3 operand vectors and 1
// broadcast fill its 16 registers; AVX-512's 32 hold 8 rows), each step a
// broadcast of one value times three loaded vectors, over panels of features
// kPanelWidth<T> = kTileVectors vectors wide (24 float32 with AVX2). The
// scores tile is kTileRows rows of a chunk of up to a panel's width of
// classes, in 1 to kTileVectors vectors. The first chunk's tile reads X_blk
// from memory and copies it into the panels; a second chunk, for up to twice
// as many classes (48 float32, 24 float64 with AVX2; the plan checks), reads
// X_blk back from the panels, in cache. Padding (the last feature panel,
// classes beyond C) is zero and only ever meets lanes that are not stored.
#pragma once

#include "vec.hpp"

namespace fastlin::FASTLIN_ISA {

// 8 rows where AVX-512 gives 32 registers (tuning notes: "Products of few
// classes").
inline constexpr int kTileRows = kVectorBytes == 64 ? 8 : 4;
inline constexpr int kTileVectors = 3;
template <class T>
inline constexpr int64_t kPanelWidth = kTileVectors * kLanes<T>;

// The scores tile holds up to a panel's width of classes (kTileVectors
// vectors); more classes go in a second chunk, whose tile reads X_blk back
// from the feature panels the first one wrote. kMaxFewClasses: the classes
// of the two chunks. class_vectors: the vectors that hold C classes.
template <class T>
inline constexpr int64_t kClassChunk = kPanelWidth<T>;
template <class T>
inline constexpr int64_t kMaxFewClasses = 2 * kClassChunk<T>;
template <class T>
inline int64_t class_vectors(int64_t C) {
    return (C + kLanes<T> - 1) / kLanes<T>;
}

template <class T>
inline int64_t panel_count(int64_t n) {
    return (n + kPanelWidth<T> - 1) / kPanelWidth<T>;
}

// Elements of one block of n rows of X in feature panels.
template <class T>
inline int64_t feature_panels_size(int64_t n, int64_t D) {
    return panel_count<T>(D) * n * kPanelWidth<T>;
}

// The blocks and row groups of the fused pass that runs these products
// (FusedPlan): X_blk within kFewBlockBytes, at most kFewMaxGroups groups.
// With AVX2, 1.5 MiB (128 float32 rows of D = 3072: X_blk and its panels in
// a 512 KiB L2 a core) and 16 groups. With AVX-512, 0.75 MiB (64 rows, for
// a 2 MiB L2 a core) and 64 groups, so that on many cores one that runs
// behind leaves its later groups to the others (tuning notes: "Products of
// few classes").
inline constexpr int64_t kFewBlockBytes = kVectorBytes == 64 ? int64_t(3) << 18 : int64_t(3) << 19;
inline constexpr int64_t kFewMaxGroups = kVectorBytes == 64 ? 64 : 16;

// f(R, i) for the height R = left of the last, partial tile (1 to R rows),
// found at compile time: one kernel per height.
template <int R, class F>
inline void last_tile(int64_t left, int64_t i, F& f) {
    if constexpr (R > 0) {
        if (left == R) return f(std::integral_constant<int, R>{}, i);
        last_tile<R - 1>(left, i, f);
    }
}

// Calls f(R, i) for tiles of R = kTileRows rows (or classes) at i = 0,
// kTileRows, ..., then once for the 1 to kTileRows - 1 left; R is a
// std::integral_constant, so each tile height is its own compiled kernel
// with its accumulators in registers.
template <class F>
inline void for_each_tile(int64_t n, F&& f) {
    int64_t i = 0;
    for (; i + kTileRows <= n; i += kTileRows) f(std::integral_constant<int, kTileRows>{}, i);
    last_tile<kTileRows - 1>(n - i, i, f);
}

// W's classes in chunks of kClassChunk, chunk k at Wp + k D kClassChunk:
// Wp_k[d][j] = W[k kClassChunk + j][d] (D x CV, CV = class_vectors of the
// chunk's classes, times the lanes), zero beyond C: one step of the scores
// tile reads the classes of one feature together. Turned L classes by L
// features at a time (L lanes) by one transpose in registers: element by
// element, the strided reads cost as much as the products of a block of 64
// rows.
template <class T>
void pack_classes(const T* W, int64_t C, int64_t D, T* Wp) {
    using V = Vec<T, kLanes<T>>;
    constexpr int64_t L = kLanes<T>;
    const int64_t whole = D - D % L;
    for (int64_t k0 = 0; k0 < C; k0 += kClassChunk<T>) {
        const T* Wk = W + k0 * D;
        T* out = Wp + k0 * D;
        const int64_t Ck = std::min(kClassChunk<T>, C - k0), CV = class_vectors<T>(Ck) * L;
        for (int64_t c0 = 0; c0 < CV; c0 += L) {
            for (int64_t d = 0; d < whole; d += L) {
                V v[L];
                for (int64_t k = 0; k < L; ++k)
                    v[k] = c0 + k < Ck ? load<V>(Wk + (c0 + k) * D + d) : V{};
                transpose(v);
                for (int64_t k = 0; k < L; ++k) store(out + (d + k) * CV + c0, v[k]);
            }
            for (int64_t d = whole; d < D; ++d)
                for (int64_t k = 0; k < L; ++k)
                    out[d * CV + c0 + k] = c0 + k < Ck ? Wk[(c0 + k) * D + d] : T(0);
        }
    }
}

// out[p][i0 + r][j] = A[r][p P + j] for rows r < `rows` of A (row stride D),
// zero for features beyond D: feature panel p of a matrix of n rows in
// feature panels (the layout of Xp and Wf).
template <class T>
inline void copy_rows_into_panel(const T* A, int64_t rows, int64_t D, int64_t p, int64_t n,
                                 int64_t i0, T* out) {
    constexpr int64_t P = kPanelWidth<T>;
    const int64_t d0 = p * P, width = std::min(P, D - d0);
    for (int64_t r = 0; r < rows; ++r) {
        T* o = out + (p * n + i0 + r) * P;
        std::copy(A + r * D + d0, A + r * D + d0 + width, o);
        std::fill(o + width, o + P, T(0));
    }
}

// W (C x D) in feature panels, Wf[p][c][j] = W[c][p P + j]: the dX tile
// reads the C rows of a feature panel contiguously (W's own rows lie D apart,
// and from D = 1024 float32 on, a multiple of 4 KiB, they would all fall in
// the same set of the L1 cache).
template <class T>
void pack_feature_panels(const T* W, int64_t C, int64_t D, T* Wf) {
    for (int64_t p = 0; p < panel_count<T>(D); ++p) copy_rows_into_panel(W, C, D, p, C, 0, Wf);
}

// Xp[p][i][j] = X[i][p P + j] for rows i0 .. i0 + R of a block of n rows, for
// a whole feature panel p, in vectors: copied from the rows' own features
// (row stride D), which the scores tile has just read.
template <int R, class T>
inline void pack_feature_panel(const T* X, int64_t D, int64_t p, int64_t n, int64_t i0, T* Xp) {
    using V = Vec<T, kLanes<T>>;
    constexpr int64_t P = kPanelWidth<T>;
    for (int r = 0; r < R; ++r)
        for (int v = 0; v < kTileVectors; ++v)
            store(Xp + (p * n + i0 + r) * P + v * kLanes<T>,
                  load<V>(X + r * D + p * P + v * kLanes<T>));
}

// acc[r] += X[r][d] * W[d] for d in [0, d1), X's rows ldx apart, W[d]
// the CV vectors of feature d's classes.
template <int R, int CV, class T, class V>
inline void accumulate_scores(const T* X, int64_t ldx, const T* Wp, int64_t d1, V (&acc)[R][CV]) {
    constexpr int64_t L = kLanes<T>;
    for (int64_t d = 0; d < d1; ++d) {
        V w[CV];
        for (int v = 0; v < CV; ++v) w[v] = load<V>(Wp + (d * CV + v) * L);
        for (int r = 0; r < R; ++r) {
            const V x = splat<V>(X[r * ldx + d]);
            for (int v = 0; v < CV; ++v) acc[r][v] += x * w[v];
        }
    }
}

// S[r][c0 + c] = acc[r][c] + b[c0 + c] for the nc classes of a chunk.
template <int R, int CV, class T, class V>
inline void store_scores(const V (&acc)[R][CV], const T* b, int64_t c0, int64_t nc, int64_t C,
                         T* S) {
    constexpr int64_t L = kLanes<T>;
    for (int r = 0; r < R; ++r) {
        T row[CV * L];
        for (int v = 0; v < CV; ++v) store(row + v * L, acc[r][v]);
        for (int64_t c = 0; c < nc; ++c) S[r * C + c0 + c] = b ? row[c] + b[c0 + c] : row[c];
    }
}

// R rows of the scores of the first chunk of classes (nc of them, in CV
// vectors): S[r][c] = X[r] . W[c] + b[c]; and their features copied into
// Xp, panel by panel as the tile has read them (the last, partial panel
// apart, so that the loop over whole panels has no branch). Inlined by
// force: GCC stopped inlining it once a second chunk existed, and the call
// cost measurably at C = 20.
template <int R, int CV, class T>
__attribute__((always_inline)) inline void scores_tile(const T* X, int64_t D, const T* Wp,
                                                       const T* b, int64_t nc, int64_t C, T* S,
                                                       int64_t n, int64_t i0, T* Xp) {
    using V = Vec<T, kLanes<T>>;
    constexpr int64_t P = kPanelWidth<T>, L = kLanes<T>;
    V acc[R][CV] = {};
    const int64_t whole = D / P;
    for (int64_t p = 0; p < whole; ++p) {
        accumulate_scores(X + p * P, D, Wp + p * P * CV * L, P, acc);
        pack_feature_panel<R>(X, D, p, n, i0, Xp);
    }
    if (whole * P < D) {
        accumulate_scores(X + whole * P, D, Wp + whole * P * CV * L, D - whole * P, acc);
        copy_rows_into_panel(X, R, D, whole, n, i0, Xp);
    }
    store_scores(acc, b, 0, nc, C, S);
}

// The same for the second chunk of classes, from c0 on, reading rows i0 ..
// i0 + R of the block back from its feature panels Xp (contiguous, in L2)
// instead of from X.
template <int R, int CV, class T>
inline void scores_tile_from_panels(const T* Xp, int64_t n, int64_t i0, int64_t D, const T* Wp,
                                    const T* b, int64_t c0, int64_t C, T* S) {
    using V = Vec<T, kLanes<T>>;
    constexpr int64_t P = kPanelWidth<T>, L = kLanes<T>;
    V acc[R][CV] = {};
    for (int64_t p = 0; p < panel_count<T>(D); ++p)
        accumulate_scores(Xp + (p * n + i0) * P, P, Wp + p * P * CV * L, std::min(P, D - p * P),
                          acc);
    store_scores(acc, b, c0, C - c0, C, S);
}

template <int CV, class T>
void scores_and_pack_in(const T* X, int64_t n, int64_t D, const T* Wp, const T* b, int64_t C, T* S,
                        T* Xp) {
    const int64_t nc = std::min(C, kClassChunk<T>);
    for_each_tile(n, [&](auto R, int64_t i) {
        scores_tile<R, CV>(X + i * D, D, Wp, b, nc, C, S + i * C, n, i, Xp);
    });
}

template <int CV, class T>
void second_chunk_scores(const T* Xp, int64_t n, int64_t D, const T* Wp, const T* b, int64_t C,
                         T* S) {
    constexpr int64_t c0 = kClassChunk<T>;
    for_each_tile(n, [&](auto R, int64_t i) {
        scores_tile_from_panels<R, CV>(Xp, n, i, D, Wp + c0 * D, b, c0, C, S + i * C);
    });
}

// S (n x C) = X_blk W^T + b for a block of n rows of X (row stride D), from
// W packed by pack_classes (C <= kMaxFewClasses); and Xp = the block in
// feature panels. X_blk is read once, by the first chunk's tile. Two
// switches, not generic lambdas, so that GCC inlines the tiles (tuning
// notes: "Code shapes dropped").
template <class T>
void scores_and_pack(const T* X, int64_t n, int64_t D, const T* Wp, const T* b, int64_t C, T* S,
                     T* Xp) {
    switch (class_vectors<T>(std::min(C, kClassChunk<T>))) {
        case 1:
            scores_and_pack_in<1>(X, n, D, Wp, b, C, S, Xp);
            break;
        case 2:
            scores_and_pack_in<2>(X, n, D, Wp, b, C, S, Xp);
            break;
        default:
            scores_and_pack_in<kTileVectors>(X, n, D, Wp, b, C, S, Xp);
            break;
    }
    if (C <= kClassChunk<T>) return;
    switch (class_vectors<T>(C - kClassChunk<T>)) {
        case 1:
            return second_chunk_scores<1>(Xp, n, D, Wp, b, C, S);
        case 2:
            return second_chunk_scores<2>(Xp, n, D, Wp, b, C, S);
        default:
            return second_chunk_scores<kTileVectors>(Xp, n, D, Wp, b, C, S);
    }
}

// The kTileVectors vectors of a tile to `width` values of a row of a matrix
// in feature panels (dW, dX): by vectors where the panel is whole, through
// a row on the stack in a partial last panel only (tuning notes: "Code
// shapes dropped").
template <class T, class V>
inline void store_panel_row(const V (&vectors)[kTileVectors], int64_t width, T* out) {
    constexpr int64_t P = kPanelWidth<T>, L = kLanes<T>;
    if (width == P) {
        for (int v = 0; v < kTileVectors; ++v) store(out + v * L, vectors[v]);
    } else {
        T row[P];
        for (int v = 0; v < kTileVectors; ++v) store(row + v * L, vectors[v]);
        std::copy(row, row + width, out);
    }
}

// K classes (K <= kTileRows) of dW over feature panel p: dW[c][d] (+)=
// sum_i G[i][c] X[i][d], X from its panel (n rows, contiguous).
template <int K, class T>
inline void gradient_tile(const T* G, int64_t n, int64_t C, int64_t c0, const T* Xpanel, int64_t D,
                          int64_t d0, bool first, T* dW) {
    using V = Vec<T, kLanes<T>>;
    constexpr int64_t P = kPanelWidth<T>, L = kLanes<T>;
    // dW is read as store_panel_row writes it, written out here (tuning
    // notes: "Code shapes dropped").
    const int64_t width = std::min(P, D - d0);
    const bool whole = width == P;
    V acc[K][kTileVectors];
    for (int k = 0; k < K; ++k) {
        const T* in = dW + (c0 + k) * D + d0;
        T row[P] = {};
        if (!first && !whole) std::copy(in, in + width, row);
        const T* from = first || !whole ? row : in;
        for (int v = 0; v < kTileVectors; ++v) acc[k][v] = load<V>(from + v * L);
    }
    for (int64_t i = 0; i < n; ++i) {
        V x[kTileVectors];
        for (int v = 0; v < kTileVectors; ++v) x[v] = load<V>(Xpanel + i * P + v * L);
        for (int k = 0; k < K; ++k) {
            const V g = splat<V>(G[i * C + c0 + k]);
            for (int v = 0; v < kTileVectors; ++v) acc[k][v] += g * x[v];
        }
    }
    for (int k = 0; k < K; ++k) store_panel_row(acc[k], width, dW + (c0 + k) * D + d0);
}

// dW (C x D) = G^T X_blk, plus dW itself unless `first`; G (n x C), X_blk
// from the feature panels that scores_and_pack wrote.
template <class T>
void add_gradient_product(const T* G, int64_t n, int64_t C, const T* Xp, int64_t D, bool first,
                          T* dW) {
    constexpr int64_t P = kPanelWidth<T>;
    for (int64_t p = 0; p < panel_count<T>(D); ++p) {
        const T* panel = Xp + p * n * P;
        for_each_tile(C, [&](auto K, int64_t c) {
            gradient_tile<K>(G, n, C, c, panel, D, p * P, first, dW);
        });
    }
}

// R rows (R <= kTileRows) of dX over feature panel p: dX[r][d] =
// sum_c G[r][c] W[c][d], W from its panel (C rows, contiguous).
template <int R, class T>
inline void input_gradient_tile(const T* G, int64_t C, const T* Wpanel, int64_t D, int64_t d0,
                                T* dX) {
    using V = Vec<T, kLanes<T>>;
    constexpr int64_t P = kPanelWidth<T>, L = kLanes<T>;
    V acc[R][kTileVectors] = {};
    for (int64_t c = 0; c < C; ++c) {
        V w[kTileVectors];
        for (int v = 0; v < kTileVectors; ++v) w[v] = load<V>(Wpanel + c * P + v * L);
        for (int r = 0; r < R; ++r) {
            const V g = splat<V>(G[r * C + c]);
            for (int v = 0; v < kTileVectors; ++v) acc[r][v] += g * w[v];
        }
    }
    for (int r = 0; r < R; ++r) store_panel_row(acc[r], std::min(P, D - d0), dX + r * D + d0);
}

template <int R, class T>
inline void input_gradient_rows(const T* G, int64_t C, const T* Wf, int64_t D, T* dX) {
    for (int64_t p = 0; p < panel_count<T>(D); ++p)
        input_gradient_tile<R>(G, C, Wf + p * C * kPanelWidth<T>, D, p * kPanelWidth<T>, dX);
}

// dX_blk (n x D) = G (n x C) W, from W packed by
// pack_feature_panels; dX rows written one tile of rows at a time.
template <class T>
void input_gradient_product(const T* G, int64_t n, int64_t C, const T* Wf, int64_t D, T* dX) {
    for_each_tile(
        n, [&](auto R, int64_t i) { input_gradient_rows<R>(G + i * C, C, Wf, D, dX + i * D); });
}

}  // namespace fastlin::FASTLIN_ISA
