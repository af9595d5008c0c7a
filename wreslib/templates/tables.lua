--[[ Tables, the same through both renderers (listed under `filters:` in _quarto.yml).

1. Columns size to their content. Pipe tables with a line longer than 72 characters get
   widths in proportion to the dashes under their header, which for generated tables is an
   accident (equal dashes squeeze a long first column). Dropping them lets the browser, Typst
   and Word fit the columns to the text.
2. Typst reads "1. ", "- ", "+ ", "= " or "/ " at the start of a cell as list or heading
   markup, and pandoc's Typst writer escapes them only at the start of a paragraph; cells
   such as "1. Pay band" are escaped here. ]]

local LINE_START = { "^%d+%.$", "^[-+/]$", "^=+$" }

local function escape_cell_start(cell)
  local first = cell.contents[1]
  if not first or (first.t ~= "Plain" and first.t ~= "Para") then
    return
  end
  local inline = first.content[1]
  if not inline or inline.t ~= "Str" then
    return
  end
  for _, pattern in ipairs(LINE_START) do
    if inline.text:match(pattern) then
      first.content[1] = pandoc.RawInline("typst", "\\" .. inline.text)
      return
    end
  end
end

local function each_row(tbl, fn)
  for _, row in ipairs(tbl.head.rows) do fn(row) end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.head) do fn(row) end
    for _, row in ipairs(body.body) do fn(row) end
  end
  for _, row in ipairs(tbl.foot.rows) do fn(row) end
end

function Table(tbl)
  for i, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = { spec[1], pandoc.ColWidthDefault }
  end
  if FORMAT == "typst" then
    each_row(tbl, function(row)
      for _, cell in ipairs(row.cells) do escape_cell_start(cell) end
    end)
  end
  return tbl
end
