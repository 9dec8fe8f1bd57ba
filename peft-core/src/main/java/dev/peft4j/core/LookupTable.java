package dev.peft4j.core;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

/**
 * An embedding block that peft4j can adapt besides DJL's own {@link ai.djl.nn.core.Embedding}: its
 * forward takes token ids (…), integer, and returns the rows {@code E[ids]} (…, D) of one table.
 * {@link AdaptedEmbedding} implements it too, so a model that reuses the table (a tied output
 * layer) finds it through the wrapper.
 */
public interface LookupTable extends Block {

    /**
     * The table E.
     *
     * @return the parameter (V, D)
     */
    Parameter table();
}
