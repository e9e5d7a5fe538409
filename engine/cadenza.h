// cadenza.h: include this one header to use the whole engine.
// A map of the engine, and which chapter explains each part:
//   core/      tensors, shapes, the random Generator ......... docs/01-tensors.md
//   autograd/  the graph, backward, gradcheck ................ docs/02-autograd.md, docs/03-gradcheck-and-debugging.md
//   ops/       every tensor operation and loss ............... docs/01, 02, 04
//   kernels/   raw-pointer loops: strided walks, gemm ........ docs/01-tensors.md ("Under the hood")
//   nn/        Module, layers, initialisers .................. docs/04-modules-losses-optimisers.md
//   optim/     SGD, Adam, AdamW, RMSprop, clipping, schedules  docs/04-modules-losses-optimisers.md
//   io/        .npy and safetensors checkpoints .............. docs/04-modules-losses-optimisers.md
//   util/      graph pictures (DOT) and the progress bar ..... docs/03-gradcheck-and-debugging.md
//   models/    the course's models: RBM ...................... docs/07-rbm.md
#pragma once
#include "engine/autograd/gradcheck.h"
#include "engine/autograd/node.h"
#include "engine/core/error.h"
#include "engine/core/random.h"
#include "engine/core/shape.h"
#include "engine/core/tensor.h"
#include "engine/io/file.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/kernels/parallel.h"
#include "engine/models/decoding.h"
#include "engine/models/frame_models.h"
#include "engine/models/rbm.h"
#include "engine/models/seq2seq.h"
#include "engine/nn/init.h"
#include "engine/nn/layers.h"
#include "engine/nn/module.h"
#include "engine/nn/rnn.h"
#include "engine/nn/conv.h"
#include "engine/nn/attention.h"
#include "engine/optim/optim.h"
#include "engine/optim/schedule.h"
#include "engine/ops/ops.h"
#include "engine/util/dot.h"
#include "engine/util/progress.h"
