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
  local fig_alt = img.attributes["fig-alt"]
  if fig_alt then
    img.attributes["fig-alt"] = nil
    img.caption = pandoc.Inlines(fig_alt)
  end
  if FORMAT ~= "typst" then
    return img
  end
  local src, alt = typst_string(img.src), typst_string(pandoc.utils.stringify(img.caption))
  local width, height = img.attributes.width, img.attributes.height
  if width or height then
    local size = (width and ", width: " .. typst_length(width) or "")
      .. (height and ", height: " .. typst_length(height) or "")
    return pandoc.RawInline("typst", "#image(" .. src .. ", alt: " .. alt .. size .. ")")
  end
  -- Natural size (the figure's own inches), shrunk to the text width when wider.
  return pandoc.RawInline("typst", string.format(
    "#layout(area => { let img = image(%s, alt: %s); "
      .. "if measure(img).width > area.width { image(%s, alt: %s, width: 100%%) } else { img } })",
    src, alt, src, alt))
end
