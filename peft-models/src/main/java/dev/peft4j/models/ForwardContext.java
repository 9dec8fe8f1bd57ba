package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.util.PairList;

/**
 * What every layer of one forward shares.
 *
 * @param attentionMask additive mask (B, 1, 1, T, S): 0 where a query may attend to a key, a large
 *     negative number elsewhere (causal order, padding)
 * @param cos rotary cosines (B, 1, T, head_dim), or {@code null} for learned positions
 * @param sin rotary sines (B, 1, T, head_dim), or {@code null}
 * @param positions position ids (B, T), for learned position embeddings
 * @param cache the KV cache to read and extend, or {@code null}
 * @param training whether this is a training forward
 * @param params DJL's forward parameters, passed to every block
 */
record ForwardContext(
        NDArray attentionMask,
        NDArray cos,
        NDArray sin,
        NDArray positions,
        KvCache cache,
        boolean training,
        PairList<String, Object> params) {}
