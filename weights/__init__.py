"""The trained weights shipped with mnist-canvas, installed as the package data of `mnist_canvas_weights`."""
