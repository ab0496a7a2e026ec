from invoices.render import total_line
assert total_line(1250) == "Total: €12.50", total_line(1250)
