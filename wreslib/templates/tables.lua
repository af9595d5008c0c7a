--[[ Tables, the same through both renderers (listed under `filters:` in _quarto.yml).

1. Columns size to their content. Pipe tables with a line longer than 72 characters get
   widths in proportion to the dashes under their header, which for generated tables is an
   accident (equal dashes squeeze a long first column). Dropping them lets the browser and
   Typst fit the columns to the text. Word (and LibreOffice) would instead split the columns
   evenly and break words such as "Unknown" across lines, so there each column gets at least
   its longest word, then a share of the rest of the line as its text needs.
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

-- Characters of 11pt Arial across an A4 page's text width (16.6 cm), the house Word style.
local LINE = 80

local function content_widths(tbl)
  local least, wanted = {}, {}
  each_row(tbl, function(row)
    for i, cell in ipairs(row.cells) do
      local text = pandoc.utils.stringify(cell.contents)
      local longest = 0
      for word in text:gmatch("%S+") do
        longest = math.max(longest, utf8.len(word) or #word)
      end
      -- + 3: the cell's padding; a bold header needs about a tenth more than its letters
      least[i] = math.max(least[i] or 6, math.ceil(longest * 1.1) + 3)
      wanted[i] = math.max(wanted[i] or 6, math.min(utf8.len(text) or #text, 30) + 3)
    end
  end)
  local n, floor, extra = #tbl.colspecs, 0, 0
  for i = 1, n do
    least[i] = least[i] or 6
    wanted[i] = math.max(wanted[i] or 6, least[i])
    floor = floor + least[i]
    extra = extra + wanted[i] - least[i]
  end
  local spare = math.max(LINE - floor, 0)
  local widths, total = {}, 0
  for i = 1, n do
    local share = extra > 0 and (wanted[i] - least[i]) / extra or 0
    widths[i] = least[i] + math.min(wanted[i] - least[i], spare * share)
    total = total + widths[i]
  end
  return widths, math.max(total, LINE)
end

function Table(tbl)
  local widths, total = {}, 0
  if FORMAT == "docx" then
    widths, total = content_widths(tbl)
  end
  for i, spec in ipairs(tbl.colspecs) do
    local width = total > 0 and widths[i] / total or pandoc.ColWidthDefault
    tbl.colspecs[i] = { spec[1], width }
  end
  if FORMAT == "typst" then
    each_row(tbl, function(row)
      for _, cell in ipairs(row.cells) do escape_cell_start(cell) end
    end)
  end
  return tbl
end
