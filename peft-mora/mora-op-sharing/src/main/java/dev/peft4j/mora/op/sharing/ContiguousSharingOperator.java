package dev.peft4j.mora.op.sharing;

import com.google.auto.service.AutoService;
import dev.peft4j.mora.spi.CompressionOperator;

/**
 * {@code sharing-contiguous}, kongds/MoRA's {@code mora_type} 2: contiguous groups on both sides,
 * sums of contiguous input runs and each value repeated over a contiguous run of outputs (the
 * first {@code k mod r̂} runs, and {@code d mod r̂} runs, one longer). {@code ΔW[o][i] =
 * M[g_d(o)][g_k(i)]}, a Kronecker-like blow-up of M. Every shape is in the official domain.
 */
@AutoService(CompressionOperator.class)
public final class ContiguousSharingOperator extends SharingFamily {

    /** The registry name. */
    public static final String NAME = "sharing-contiguous";

    /** Creates the operator. */
    public ContiguousSharingOperator() {
        super(NAME, 2, Compressor.CONTIGUOUS, Decompressor.INTERLEAVE);
    }
}
