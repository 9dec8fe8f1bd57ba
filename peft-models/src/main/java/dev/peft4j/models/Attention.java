package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scaled dot-product attention with grouped-query heads (Vaswani et al. 2017, §3.2.1; Ainslie et al.
 * 2023): {@code softmax(q·kᵀ/√d_h + mask)·v}, query head h reading key/value head ⌊h / g⌋ with g =
 * H / H_kv, as transformers' {@code repeat_kv} pairs them, without copying keys or values g times.
 */
final class Attention {

    private Attention() {}

    /**
     * Splits (B, T, heads·head_dim) into heads (B, heads, T, head_dim).
     *
     * @param x the projection's output
     * @param heads the number of heads
     * @return the heads
     */
    static NDArray heads(NDArray x, int heads) {
        Shape shape = x.getShape();
        return x.reshape(shape.get(0), shape.get(1), heads, shape.get(2) / heads)
                .transpose(0, 2, 1, 3);
    }

    /**
     * Attends and merges the heads back.
     *
     * @param q queries (B, H, T, head_dim)
     * @param k keys (B, H_kv, S, head_dim)
     * @param v values (B, H_kv, S, head_dim)
     * @param mask additive mask (B, 1, 1, T, S)
     * @return (B, T, H·head_dim)
     */
    static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask) {
        long batch = q.getShape().get(0);
        long heads = q.getShape().get(1);
        long tokens = q.getShape().get(2);
        long headDim = q.getShape().get(3);
        long kvHeads = k.getShape().get(1);
        long keysLength = k.getShape().get(2);
        long groups = heads / kvHeads;
        // the scale as an array: DJL's PyTorch mul(Number) wraps a buffer the GC may free before the backward pass
        // reads it
        NDArray grouped = q.mul(q.getManager().create((float) (1 / Math.sqrt(headDim))))
                .reshape(batch, kvHeads, groups * tokens, headDim);
        NDArray scores = grouped.matMul(k.transpose(0, 1, 3, 2))
                .reshape(batch, kvHeads, groups, tokens, keysLength)
                .add(mask)
                .softmax(-1)
                .reshape(batch, kvHeads, groups * tokens, keysLength);
        return scores.matMul(v)
                .reshape(batch, heads, tokens, headDim)
                .transpose(0, 2, 1, 3)
                .reshape(batch, tokens, heads * headDim);
    }
}
