// RUN: %mlc-opt --version | filecheck %s
// CHECK: mlc-opt (mlc {{[0-9]+\.[0-9]+.*}}) with xDSL {{[0-9.]+}}, Python {{[0-9.]+}}
