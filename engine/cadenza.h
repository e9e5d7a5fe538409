// cadenza.h: include this one header to use the whole engine.
// A map of the engine, lowest layer first, and which chapter explains each part.
// A folder includes only the folders above it in this list (make lint-layers checks it;
// docs/STYLE.md has the table):
//   core/      tensors, shapes, errors, grad mode and the graph record, layout walks,
//              CPU detection, parallel_for, the scalar Generator .. docs/01-tensors.md
//   kernels/   raw-pointer loops: gemm, element-wise maths, the RNG's
//              SIMD paths, fused RNN cells ........................... docs/11-making-it-fast.md
//   autograd/  the Op helper, the registry, backward ................. docs/02-autograd.md
//   ops/       every tensor operation, loss and random tensor ........ docs/01, 02, 04
//   debug/     gradcheck and graph pictures (DOT) .................... docs/03-gradcheck-and-debugging.md
//   util/      the progress bar .................................... docs/04-modules-losses-optimisers.md
//   nn/        Module, layers, initialisers .......................... docs/04, 08, 09, 10
//   optim/     SGD, Adam, AdamW, RMSprop, clipping, schedules ........ docs/04-modules-losses-optimisers.md
//   io/        files written atomically, .npy and safetensors ........ docs/04-modules-losses-optimisers.md
//   models/    the course's models: RBM, frame RNNs, TCN, RNN-NADE,
//              Seq2Seq with attention, decoding ...................... docs/07, 08, 09, 10
#pragma once
#include "engine/core/cpu.h"
#include "engine/core/error.h"
#include "engine/core/graph.h"
#include "engine/core/parallel.h"
#include "engine/core/random.h"
#include "engine/core/shape.h"
#include "engine/core/tensor.h"
#include "engine/autograd/node.h"
#include "engine/ops/ops.h"
#include "engine/ops/random.h"
#include "engine/debug/dot.h"
#include "engine/debug/gradcheck.h"
#include "engine/util/progress.h"
#include "engine/nn/adversarial.h"
#include "engine/nn/attention.h"
#include "engine/nn/batchnorm.h"
#include "engine/nn/conv.h"
#include "engine/nn/conv2d.h"
#include "engine/nn/init.h"
#include "engine/nn/layers.h"
#include "engine/nn/module.h"
#include "engine/nn/rnn.h"
#include "engine/nn/spectral_norm.h"
#include "engine/optim/optim.h"
#include "engine/optim/schedule.h"
#include "engine/io/file.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/models/decoding.h"
#include "engine/models/frame_models.h"
#include "engine/models/rbm.h"
#include "engine/models/seq2seq.h"
