--[[ Images keep their alt text in every output.
Notebook figures arrive as ![caption](assets/fig-001.png){fig-alt="..."} (Quarto's syntax).
pandoc reads fig-alt as a plain attribute, so the alt text becomes the image description
(HTML alt, DOCX descr). The Typst writer drops descriptions, so there images become raw
Typst calls carrying `alt:`. ]]

local function typst_string(s)
  s = s:gsub("[\r\n]+", " "):gsub("\\", "\\\\"):gsub('"', '\\"')
  return '"' .. s .. '"'
end

-- HTML-style sizes ("300px", "300", "50%") as Typst lengths; 1px = 0.75pt.
local function typst_length(v)
  local n = v:match("^([%d.]+)px$") or v:match("^([%d.]+)$")
  if n then
    return tostring(tonumber(n) * 0.75) .. "pt"
  end
  return v
end

function Image(img)
  local alt = img.attributes["fig-alt"]
  if alt then
    img.attributes["fig-alt"] = nil
    img.caption = pandoc.Inlines(alt)
  end
  if FORMAT ~= "typst" then
    return img
  end
  local args = { typst_string(img.src), "alt: " .. typst_string(pandoc.utils.stringify(img.caption)) }
  table.insert(args, "width: " .. typst_length(img.attributes.width or "100%"))
  if img.attributes.height then
    table.insert(args, "height: " .. typst_length(img.attributes.height))
  end
  return pandoc.RawInline("typst", "#image(" .. table.concat(args, ", ") .. ")")
end
