package dev.peft4j.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

/**
 * Operations that an engine can run as one library call where DJL's API would take two, saving a
 * separate pass over a (tokens, d) array and its temporary. Results equal the two-step forms up to
 * rounding, gradients included.
 */
public final class FusedOps {

    private static final String PYTORCH = "PyTorch";

    private FusedOps() {}

    /**
     * {@code addend + input·weightᵀ}: on PyTorch one multiply-add (libtorch's {@code addmm}: the
     * addend is copied into the result and the product accumulated onto it, with no temporary for
     * the product); on other engines a matmul and an add.
     *
     * @param addend (…, d), the leading dimensions those of the input
     * @param input (…, k)
     * @param weight (d, k)
     * @return a new array (…, d); the addend is left unchanged
     */
    public static NDArray addLinear(NDArray addend, NDArray input, NDArray weight) {
        if (!PYTORCH.equals(input.getManager().getEngine().getEngineName())) {
            return addend.add(Linear.linear(input, weight).head());
        }
        Shape shape = addend.getShape();
        // libtorch fuses only a two-dimensional product: flatten the leading dimensions (views, no copies)
        long width = input.getShape().get(input.getShape().dimension() - 1);
        NDArray flat = Linear.linear(
                        input.reshape(-1, width), weight, addend.reshape(-1, shape.get(shape.dimension() - 1)))
                .head();
        return flat.reshape(shape);
    }
}
