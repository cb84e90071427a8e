// The real (non-padded) part of an NHWC pooling window; validated windows are never all padding.
// An including shader declares `params` with the fields used here.

struct Window {
    uint n;
    uint c;
    int y_begin;
    int y_end;
    int x_begin;
    int x_end;
};

// The window of output element `index` (NHWC order), clipped to the image.
Window window_of(uint index) {
    Window window;
    window.c = index % params.channels;
    uint ox = (index / params.channels) % params.out_w;
    uint oy = (index / (params.channels * params.out_w)) % params.out_h;
    window.n = index / (params.channels * params.out_w * params.out_h);
    int top = int(oy * params.stride_h) - int(params.pad_top);
    int left = int(ox * params.stride_w) - int(params.pad_left);
    window.y_begin = max(top, 0);
    window.y_end = min(top + int(params.kernel_h), int(params.in_h));
    window.x_begin = max(left, 0);
    window.x_end = min(left + int(params.kernel_w), int(params.in_w));
    return window;
}

uint window_input_index(Window window, int y, int x) {
    return ((window.n * params.in_h + uint(y)) * params.in_w + uint(x)) * params.channels + window.c;
}
