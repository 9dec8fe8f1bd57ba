package dev.peft4j.cli;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
final class TextTable {

    private final List<String[]> rows = new ArrayList<>();
    private final boolean[] rightAligned;

    /**
     * Starts a table with its header row.
     *
     * @param headers the column names; a name starting with {@code >} is right-aligned (the
     *     {@code >} is not shown)
     */
    TextTable(String... headers) {
        rightAligned = new boolean[headers.length];
        String[] header = new String[headers.length];
        for (int i = 0; i < headers.length; i++) {
            rightAligned[i] = headers[i].startsWith(">");
            header[i] = rightAligned[i] ? headers[i].substring(1) : headers[i];
        }
        rows.add(header);
    }

    /**
     * Adds a row.
     *
     * @param cells one value per column, shown with {@code toString()}
     * @return this table
     */
    TextTable row(Object... cells) {
        if (cells.length != rightAligned.length) {
            throw new IllegalArgumentException(
                    "A row has " + cells.length + " cells, the table " + rightAligned.length);
        }
        String[] row = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            row[i] = String.valueOf(cells[i]);
        }
        rows.add(row);
        return this;
    }

    /**
     * The table, each line indented.
     *
     * @param indent put before every line
     * @return the lines, each ending with a newline
     */
    String format(String indent) {
        int[] widths = new int[rightAligned.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder text = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder(indent);
            for (int i = 0; i < row.length; i++) {
                String padding = " ".repeat(widths[i] - row[i].length());
                line.append(rightAligned[i] ? padding + row[i] : row[i] + padding)
                        .append("  ");
            }
            text.append(line.toString().stripTrailing()).append('\n');
        }
        return text.toString();
    }
}
