package dev.peft4j.it;

import dev.peft4j.spi.AdapterConfig;

/**
 * One cell of the matrix without its engine: an adapter method, with its MoRA operator for MoRA.
 *
 * @param label {@code method} or {@code mora/operator}, for test names and reports
 * @param config the configuration the tests add to every linear layer
 */
record Combination(String label, AdapterConfig config) {

    @Override
    public String toString() {
        return label;
    }
}
