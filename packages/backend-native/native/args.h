// Argument access for the addon's functions. Every function takes the wasm heap (an ArrayBuffer,
// the tfjs-backend-wasm module's memory) first, then byte offsets into it and sizes. Offsets and
// extents are checked against the heap before any pointer is formed, so a bad call throws a
// JavaScript error instead of writing outside the heap.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace fsn {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  static constexpr size_t kMax = 40;

  Args(napi_env env, napi_callback_info info) : env_(env) {
    argc_ = kMax;
    if (napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr) != napi_ok) throw Error("could not read the arguments");
    if (argc_ < 1) throw Error("the first argument must be the wasm heap (an ArrayBuffer)");
    void* data = nullptr;
    bool isBuffer = false;
    if (napi_is_arraybuffer(env, argv_[0], &isBuffer) != napi_ok || !isBuffer) throw Error("the first argument must be the wasm heap (an ArrayBuffer)");
    if (napi_get_arraybuffer_info(env, argv_[0], &data, &heapBytes_) != napi_ok) throw Error("could not read the heap");
    heap_ = static_cast<uint8_t*>(data);
  }

  size_t count() const { return argc_; }

  double number(size_t i) const {
    double v = 0;
    if (i >= argc_ || napi_get_value_double(env_, argv_[i], &v) != napi_ok) throw Error("argument " + std::to_string(i) + " must be a number");
    return v;
  }

  int64_t integer(size_t i) const {
    double v = number(i);
    if (v != static_cast<double>(static_cast<int64_t>(v))) throw Error("argument " + std::to_string(i) + " must be an integer");
    return static_cast<int64_t>(v);
  }

  size_t size(size_t i) const {
    int64_t v = integer(i);
    if (v < 0) throw Error("argument " + std::to_string(i) + " must be >= 0");
    return static_cast<size_t>(v);
  }

  bool flag(size_t i) const {
    bool b = false;
    if (i < argc_ && napi_get_value_bool(env_, argv_[i], &b) == napi_ok) return b;
    return number(i) != 0;
  }

  template <class T>
  T* at(size_t i, size_t count) const {
    int64_t offset = integer(i);
    if (offset < 0) throw Error("argument " + std::to_string(i) + ": negative heap offset");
    return checked<T>(static_cast<size_t>(offset), count, i);
  }

  template <class T>
  T* atOrNull(size_t i, size_t count) const {
    return integer(i) < 0 ? nullptr : at<T>(i, count);
  }

  /** The pointer at a byte offset held in a Float64Array (offsets lists), checked like at(). */
  template <class T>
  T* fromOffset(double offset, size_t count, size_t arg) const {
    if (!(offset >= 0)) throw Error("argument " + std::to_string(arg) + ": negative heap offset");
    return checked<T>(static_cast<size_t>(offset), count, arg);
  }

  /** A Float64Array argument. */
  const double* f64(size_t i, size_t* length) const {
    bool isTyped = false;
    if (i >= argc_ || napi_is_typedarray(env_, argv_[i], &isTyped) != napi_ok || !isTyped) throw Error("argument " + std::to_string(i) + " must be a Float64Array");
    napi_typedarray_type type;
    void* data = nullptr;
    if (napi_get_typedarray_info(env_, argv_[i], &type, length, &data, nullptr, nullptr) != napi_ok || type != napi_float64_array) {
      throw Error("argument " + std::to_string(i) + " must be a Float64Array");
    }
    return static_cast<const double*>(data);
  }

 private:
  template <class T>
  T* checked(size_t offset, size_t count, size_t arg) const {
    if (offset % alignof(T) != 0) throw Error("argument " + std::to_string(arg) + ": misaligned heap offset");
    if (offset > heapBytes_ || count > (heapBytes_ - offset) / sizeof(T)) throw Error("argument " + std::to_string(arg) + ": range outside the heap");
    return reinterpret_cast<T*>(heap_ + offset);
  }

  napi_env env_;
  napi_value argv_[kMax];
  size_t argc_ = 0;
  uint8_t* heap_ = nullptr;
  size_t heapBytes_ = 0;
};

}  // namespace fsn
