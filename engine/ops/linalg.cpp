// linalg.cpp: matmul, batched and broadcasting like numpy.matmul.
//
// (..., n, k) @ (..., k, m) -> (..., n, m). The batch axes broadcast, and each
// (n, k) slice is handed to the gemm kernel by pointer and strides, so
// transposed views and broadcast batches cost no copy.
// Backward:  dL/dA = g @ B^T      dL/dB = A^T @ g   (summed over broadcast batches)
// Chapters: docs/01-tensors.md (batched matmul), docs/02-autograd.md (its gradient),
// docs/01-tensors.md ("Under the hood": the kernel).
#include "engine/autograd/node.h"
#include "engine/kernels/gemm.h"
#include "engine/core/strided.h"
#include "engine/ops/ops.h"

namespace cadenza {

// A 2-d operand stored transposed, such as Linear's weight.t(): a view whose rows are
// the columns of a compact matrix.
static bool stored_transposed(const Tensor& t) {
  return t.dim() == 2 && t.size(0) > 1 && t.size(1) > 1 && t.strides()[0] == 1 && t.strides()[1] == t.size(0);
}

// The rule, written with ops so that it serves both backwards: the plain one (on detached
// copies) and the graph one (on the inputs themselves).
static Grads matmul_grads(const Tensor& g, const Tensor& a, const Tensor& b, bool ra, bool rb) {
  Tensor ga, gb;
  // An operand stored transposed gets its gradient in the same layout, (B^T g^T)^T
  // instead of g B^T: the same sums in the same order, and the transpose's backward
  // then hands the leaf a compact tensor it keeps without a copy.
  // [exercise:2.4] matmul's backward: dA = G B^T, dB = A^T G (batched, broadcast)
  if (ra)
    ga =
        stored_transposed(a) && g.dim() == 2 ? matmul(b, g.t()).t() : sum_to(matmul(g, b.transpose(-1, -2)), a.shape());
  if (rb)
    gb =
        stored_transposed(b) && g.dim() == 2 ? matmul(g.t(), a).t() : sum_to(matmul(a.transpose(-1, -2), g), b.shape());
  // [/exercise]
  return {ga, gb};
}

// Both operands have at least 2 dims here.
static Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  Op op("matmul");
  int64_t n = a.size(-2), k = a.size(-1), k2 = b.size(-2), m = b.size(-1);
  if (k != k2)
    fail("matmul",
         "inner sizes differ: " + shape_str(a.shape()) + " @ " + shape_str(b.shape()) + str(" (", k, " vs ", k2, ")"),
         "the last axis of the left operand must equal the second-to-last of the right");
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes("matmul", ba, bb);
  Shape out_shape = batch;
  out_shape.push_back(n);
  out_shape.push_back(m);
  Tensor out = Tensor::empty(out_shape);  // gemm writes every element (zeros when k = 0)
  // Views of a and b with their batch axes broadcast (stride 0) to `batch`.
  Shape full_a = batch, full_b = batch;
  full_a.insert(full_a.end(), {n, k});
  full_b.insert(full_b.end(), {k, m});
  Shape sa = broadcast_strides(a, full_a), sb = broadcast_strides(b, full_b);
  Shape batch_sa(sa.begin(), sa.end() - 2), batch_sb(sb.begin(), sb.end() - 2);
  std::vector<int64_t> offs_a, offs_b;
  walk2(batch, batch_sa, a.offset(), batch_sb, b.offset(), [&](int64_t oa, int64_t ob) {
    offs_a.push_back(oa);
    offs_b.push_back(ob);
  });
  const real* pa = a.impl()->storage->data.data();
  const real* pb = b.impl()->storage->data.data();
  real* po = out.data();
  for (size_t t = 0; t < offs_a.size(); ++t)
    kernels::gemm(n, m, k, pa + offs_a[t], sa[sa.size() - 2], sa.back(), pb + offs_b[t], sb[sb.size() - 2], sb.back(),
                  po + (int64_t)t * n * m, m, false);
  return op.finish(
      out, {a, b},
      [a = a.detach(), b = b.detach(), ra = a.requires_grad(), rb = b.requires_grad()](const Tensor& g) {
        return matmul_grads(g, a, b, ra, rb);
      },
      [](const Tensor& g, const std::vector<Tensor>& in) {  // on the inputs themselves, for create_graph
        return matmul_grads(g, in[0], in[1], in[0].requires_grad(), in[1].requires_grad());
      });
}

// [doc:matmul]
Tensor matmul(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined()) fail("matmul", "an input tensor is undefined", "assign it a value first");
  if (a.dim() == 0 || b.dim() == 0)
    fail("matmul", "both operands need at least 1 dim, got " + shape_str(a.shape()) + " @ " + shape_str(b.shape()),
         "use mul (*) to scale by a scalar");
  // A 1-d operand is a row (left) or a column (right) vector; the added axis is removed after.
  if (a.dim() == 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
  if (b.dim() == 1) return matmul(a, b.unsqueeze(1)).squeeze(-1);
  return matmul_nd(a, b);
}
// [/doc]

}  // namespace cadenza
