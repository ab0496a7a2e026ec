#!/bin/sh
# CMake flags for building llama.cpp (llama-cpp-python, llama-server) for this machine's CPU.
#
# llama.cpp's default, GGML_NATIVE=ON (-march=native), also turns on AMX wherever the CPU
# advertises it; in virtual machines that advertise AMX without supporting it, the first matrix
# multiplication crashes the process (SIGSEGV in ggml_backend_amx_mul_mat). So on x86-64 this
# asks the compiler which instruction sets -march=native means here and enables those one by
# one, never AMX. Elsewhere (ARM, ...) native is kept. Extra flags in $CMAKE_ARGS come last.
set -eu
CC=${CC:-cc}
case "$(uname -m)" in
  x86_64|amd64) ;;
  *) printf '%s\n' "${CMAKE_ARGS:-}"; exit 0 ;;
esac
macros=$("$CC" -march=native -dM -E - </dev/null 2>/dev/null) || { printf '%s\n' "${CMAKE_ARGS:-}"; exit 0; }
has() { printf '%s\n' "$macros" | grep -q "#define $1 "; }
args="-DGGML_NATIVE=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
flag() { if has "$1"; then args="$args -D$2=ON"; else args="$args -D$2=OFF"; fi; }
flag __SSE4_2__ GGML_SSE42
flag __AVX__ GGML_AVX
flag __AVX2__ GGML_AVX2
flag __FMA__ GGML_FMA
flag __F16C__ GGML_F16C
flag __BMI2__ GGML_BMI2
flag __AVXVNNI__ GGML_AVX_VNNI
if has __AVX512F__ && has __AVX512CD__ && has __AVX512VL__ && has __AVX512DQ__ && has __AVX512BW__; then
  args="$args -DGGML_AVX512=ON"
  flag __AVX512VBMI__ GGML_AVX512_VBMI
  flag __AVX512VNNI__ GGML_AVX512_VNNI
  flag __AVX512BF16__ GGML_AVX512_BF16
else
  args="$args -DGGML_AVX512=OFF"
fi
printf '%s\n' "$args ${CMAKE_ARGS:-}"
