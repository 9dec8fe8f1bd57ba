package dev.peft4j.mora.op.sharing;

import com.google.auto.service.AutoService;
import dev.peft4j.mora.spi.CompressionOperator;

/**
 * {@code sharing-contiguous-tile}, kongds/MoRA's {@code mora_type} 3: contiguous input groups (as
 * type 2) and tiled outputs (as type 1). {@code ΔW[o][i] = M[o mod r̂][g_k(i)]}. Every shape is in
 * the official domain.
 */
@AutoService(CompressionOperator.class)
public final class ContiguousTileSharingOperator extends SharingFamily {

    /** The registry name. */
    public static final String NAME = "sharing-contiguous-tile";

    /** Creates the operator. */
    public ContiguousTileSharingOperator() {
        super(NAME, 3, Compressor.CONTIGUOUS, Decompressor.TILE);
    }
}
