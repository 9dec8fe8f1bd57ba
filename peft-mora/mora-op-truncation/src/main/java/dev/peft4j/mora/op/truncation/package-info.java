/**
 * The MoRA paper's truncation operator ({@link dev.peft4j.mora.op.truncation.TruncationOperator}):
 * M acts on the first r̂ inputs and writes the first r̂ outputs.
 */
package dev.peft4j.mora.op.truncation;
